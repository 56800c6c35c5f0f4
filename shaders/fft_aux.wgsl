// The FFT's helper passes (gpu::fft): everything that is not a Stockham butterfly kernel.
//
// One module, one pipeline per MODE (a pipeline-overridable constant, so each pipeline keeps only
// its own branch). Arrays are C-contiguous and seen as [outer, len, inner]: the transformed axis
// in the middle, everything before it folded into `outer`, everything after it into `inner`.
// Buffers are bound as 32-bit words; complex64 is two words (re, im).
//
//   0 RESIZE     crop or zero-pad the middle axis: [outer, len_in, inner] -> [outer, len_out, inner]
//                (WORDS words per element)
//   1 BLUE_PRE   Bluestein: a[b, j] = x[o, j, i] * chirp[j] for j < n, 0 up to m (b = o * inner + i);
//                conj(x) first for an inverse transform
//   2 BLUE_MUL   Bluestein: a[b, j] *= table[j] (the chirp's spectrum, already divided by m)
//   3 BLUE_POST  Bluestein: y[o, k, i] = scale * a[b, k] * chirp[k], conjugated for an inverse
//   4 R2C_POST   real -> complex: the half-length spectrum Z [outer, h] of z = x[0::2] + i x[1::2]
//                to X [outer, h + 1]: X[k] = (Z[k] + conj Z[h-k]) / 2 - i w^k (Z[k] - conj Z[h-k]) / 2
//   5 C2R_PRE    complex -> real: X [outer, h + 1] to Z [outer, h] with
//                Z[k] = (X[k] + conj X[h-k]) + i conj(w^k) (X[k] - conj X[h-k]) (imaginary parts of
//                X[0] and X[h] ignored, as NumPy does); an inverse half-length FFT of Z is x
//   6 HERMITIAN  [outer, n/2 + 1, inner] -> [outer, n, inner]: X[k] for k <= n/2, conj X[n-k] above
//                (imaginary parts of X[0] and, for even n, X[n/2] dropped)
//   7 ROLL       np.roll over all axes at once: out[idx] = in[(idx - shift) mod shape]
//                (WORDS words per element)
//   8 RADER_PRE  Rader (src/gpu/fft/rader.rs): a[b, q] = x[o, g^q, i] - x[o, 0, i] for q < n - 1
//                (g^q mod n from table[q].x), 0 up to m; conj(x) first for an inverse transform
//   9 RADER_POST Rader: y[o, k, i] = scale * a[b, table[k].y] for k >= 1, conjugated for an
//                inverse (k = 0 is RADER_DC's)
//  10 RADER_DC   Rader: y[o, 0, i] = scale * sum_j x[o, j, i] (compensated sum); dispatched over
//                y's elements, only k = 0 works
//  11 PAIR_PACK  two real lines as one complex line: neighbours in memory, so that any chunk of
//                whole slabs (inner > 1) or row pairs (inner = 1) holds both: the real
//                [outer, n, inner] to z [outer, n, H], H = ceil(inner / 2), z = x[.., 2c] + i x[.., 2c + 1]
//                (inner > 1; for even inner z is x's buffer itself, read as complex64), or, inner = 1,
//                to z [ceil(outer / 2), n], z = x[2r] + i x[2r + 1]; 0 where the partner is missing
//  12 PAIR_SPLIT Z = FFT(z) to the half spectra X [outer, n/2 + 1, inner] of both lines:
//                the first (Z[k] + conj Z[n-k]) / 2, its partner (Z[k] - conj Z[n-k]) / 2i
//  13 PAIR_MERGE the reverse: X [outer, n/2 + 1, inner] (Hermitian halves, Im X[0] and, for even
//                n, Im X[n/2] dropped) to Z = X_first + i X_partner, extended to n terms
//  14 PAIR_UNPACK z = IFFT(Z) to the real [outer, n, inner]: Re z for the first line, Im z for
//                its partner (for even inner > 1 the complex z is already that array)
//                (modes 11 and 14 read or write float32: element offsets p[10], p[11] count
//                complex64 elements, i.e. two words)
//
// The tables (chirps, spectra, twiddles w^k = exp(-2 pi i k / n)) are computed in f64 on the host
// with the phase reduced in integers: WGSL's sin and cos are far too inaccurate for an FFT.

override MODE: u32 = 0u;
override WORDS: u32 = 2u;

// p[0] one past the last item of this dispatch, p[1] workgroups along x, p[2] outer, p[3] len_in
// (n), p[4] len_out, p[5] inner, p[6] scale (f32 bits), p[7] conjugate (inverse), p[8] m,
// p[9] the first item of this dispatch, p[10] and p[11] the elements of src and dst at the
// start of their bindings (a dispatch covers a chunk of the items through windows of the
// buffers: src/gpu/fft/plan.rs), ROLL: p[12] ndim, then shape[ndim], then shift[ndim].
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> p: array<u32>;

fn load(e: u32) -> vec2<f32> {
    let at = 2u * (e - p[10]);
    return vec2<f32>(bitcast<f32>(src[at]), bitcast<f32>(src[at + 1u]));
}

fn store(e: u32, v: vec2<f32>) {
    let at = 2u * (e - p[11]);
    dst[at] = bitcast<u32>(v.x);
    dst[at + 1u] = bitcast<u32>(v.y);
}

// A pass without a table (src/gpu/fft/plan.rs `aux`) has its source window bound as `table`
// too: complex64 element e of src in one vec2 access instead of two word accesses (lavapipe's
// cost is its accesses, whatever their width).
fn load2(e: u32) -> vec2<f32> {
    return table[e - p[10]];
}

fn load_real(e: u32) -> f32 {
    return bitcast<f32>(src[e - 2u * p[10]]);
}

fn store_real(e: u32, v: f32) {
    dst[e - 2u * p[11]] = bitcast<u32>(v);
}

// The paired passes (modes 11-14): line `part` (0: the first, 1: its partner) of the pair whose
// complex line is (a, c) of z [outer or ceil(outer / 2), n, H]: its index b = o * inner + i in
// the batch of real lines, or outer * inner when the partner is missing.
fn pair_line(a: u32, c: u32, part: u32) -> u32 {
    let outer = p[2];
    let inner = p[5];
    if inner > 1u {
        let i = 2u * c + part;
        return select(outer * inner, a * inner + i, i < inner);
    }
    let o = 2u * a + part;
    return select(outer, o, o < outer);
}

// The z element (of line (a, c), point 0) and the part of real line b = o * inner + i.
fn pair_of(o: u32, i: u32, n: u32) -> vec2<u32> {
    let inner = p[5];
    let h = p[8];
    if inner > 1u {
        return vec2<u32>(o * n * h + i / 2u, i % 2u);
    }
    return vec2<u32>((o / 2u) * n, o % 2u);
}

// Term k of the Hermitian extension of line `line` (of [outer, len_in, inner]) to len_out terms
// (PAIR_MERGE's: no table, so through load2).
fn hermitian(line: u32, k: u32) -> vec2<f32> {
    let inner = p[5];
    let len_in = p[3];
    let n = p[4];
    let at = (line / inner) * len_in * inner + line % inner;
    if k < len_in {
        var v = load2(at + k * inner);
        if k == 0u || 2u * k == n {
            v.y = 0.0;
        }
        return v;
    }
    return conj(load2(at + (n - k) * inner));
}

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn conj(a: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x, -a.y);
}

fn copy_element(src_e: u32, to: u32) {
    for (var w = 0u; w < WORDS; w++) {
        dst[(to - p[11]) * WORDS + w] = src[(src_e - p[10]) * WORDS + w];
    }
}

fn zero_element(to: u32) {
    for (var w = 0u; w < WORDS; w++) {
        dst[(to - p[11]) * WORDS + w] = 0u;
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let e = p[9] + (wid.y * p[1] + wid.x) * 256u + lid;
    if e >= p[0] {
        return;
    }
    let outer = p[2];
    let len_in = p[3];
    let len_out = p[4];
    let inner = p[5];
    let scale = bitcast<f32>(p[6]);
    let inverse = p[7] != 0u;
    let m = p[8];
    switch MODE {
        case 0u: {
            // e indexes the output [outer, len_out, inner].
            let i = e % inner;
            let k = (e / inner) % len_out;
            let o = e / inner / len_out;
            if k < len_in {
                copy_element((o * len_in + k) * inner + i, e);
            } else {
                zero_element(e);
            }
        }
        case 1u: {
            // e indexes a [outer * inner, m].
            let j = e % m;
            let b = e / m;
            var v = vec2<f32>(0.0);
            if j < len_in {
                v = load(((b / inner) * len_in + j) * inner + b % inner);
                if inverse {
                    v = conj(v);
                }
                v = cmul(v, table[j]);
            }
            store(e, v);
        }
        case 2u: {
            store(e, cmul(load(e), table[e % m]));
        }
        case 3u: {
            // e indexes the output [outer, n, inner].
            let i = e % inner;
            let k = (e / inner) % len_in;
            let o = e / inner / len_in;
            var v = cmul(load((o * inner + i) * m + k), table[k]);
            if inverse {
                v = conj(v);
            }
            store(e, v * scale);
        }
        case 4u: {
            // e indexes the output [outer, h + 1]; len_in = h.
            let h = len_in;
            let k = e % (h + 1u);
            let row = (e / (h + 1u)) * h;
            let zk = load(row + k % h);
            let zc = conj(load(row + (h - k) % h));
            let even = (zk + zc) * 0.5;
            let d = (zk - zc) * 0.5;
            // -i * d
            let odd = vec2<f32>(d.y, -d.x);
            store(e, (even + cmul(table[k], odd)) * scale);
        }
        case 5u: {
            // e indexes the output [outer, h]; len_in = h, the input is [outer, h + 1].
            let h = len_in;
            let k = e % h;
            let row = (e / h) * (h + 1u);
            var a = load(row + k);
            var c = load(row + h - k);
            if k == 0u {
                a.y = 0.0;
                c.y = 0.0;
            }
            let sum = a + conj(c);
            let d = cmul(conj(table[k]), a - conj(c));
            // sum + i * d
            store(e, (sum + vec2<f32>(-d.y, d.x)) * scale);
        }
        case 6u: {
            // e indexes the output [outer, n, inner]; len_in = n / 2 + 1, len_out = n.
            let n = len_out;
            let i = e % inner;
            let k = (e / inner) % n;
            let o = e / inner / n;
            var v: vec2<f32>;
            if k < len_in {
                v = load((o * len_in + k) * inner + i);
                if k == 0u || 2u * k == n {
                    v.y = 0.0;
                }
            } else {
                v = conj(load((o * len_in + n - k) * inner + i));
            }
            store(e, v);
        }
        case 8u: {
            // e indexes a [outer * inner, m]; len_in = n (the prime), the input [outer, n, inner].
            let j = e % m;
            let b = e / m;
            var v = vec2<f32>(0.0);
            if j + 1u < len_in {
                let row = (b / inner) * len_in * inner + b % inner;
                v = load(row + u32(table[j].x) * inner) - load(row);
                if inverse {
                    v = conj(v);
                }
            }
            store(e, v);
        }
        case 9u: {
            // e indexes the output [outer, n, inner].
            let i = e % inner;
            let k = (e / inner) % len_in;
            let o = e / inner / len_in;
            if k > 0u {
                var v = load((o * inner + i) * m + u32(table[k].y));
                if inverse {
                    v = conj(v);
                }
                store(e, v * scale);
            }
        }
        case 10u: {
            // e indexes the output [outer, n, inner]; the input has the same shape.
            if (e / inner) % len_in == 0u {
                var sum = vec2<f32>(0.0);
                var carry = vec2<f32>(0.0);
                for (var j = 0u; j < len_in; j++) {
                    let y = load(e + j * inner) - carry;
                    let t = sum + y;
                    carry = (t - sum) - y;
                    sum = t;
                }
                store(e, sum * scale);
            }
        }
        case 11u: {
            // e indexes z [outer', n, H]; len_in = n, m = H.
            let n = len_in;
            let c = e % m;
            let j = (e / m) % n;
            let a = e / m / n;
            let b = pair_line(a, c, 0u);
            var v = vec2<f32>(load_real(((b / inner) * n + j) * inner + b % inner), 0.0);
            let partner = pair_line(a, c, 1u);
            if partner < outer * inner {
                v.y = load_real(((partner / inner) * n + j) * inner + partner % inner);
            }
            store(e, v);
        }
        case 12u: {
            // e indexes X [outer, n/2 + 1, inner]; len_in = n, len_out = n/2 + 1, m = H.
            let n = len_in;
            let i = e % inner;
            let k = (e / inner) % len_out;
            let o = e / inner / len_out;
            let at = pair_of(o, i, n);
            let zk = load2(at.x + k * m);
            let zc = conj(load2(at.x + ((n - k) % n) * m));
            let d = (zk + select(zc, -zc, at.y == 1u)) * 0.5;
            var v = d;
            if at.y == 1u {
                // (Z[k] - conj Z[n-k]) / 2i = -i d
                v = vec2<f32>(d.y, -d.x);
            }
            store(e, v * scale);
        }
        case 13u: {
            // e indexes Z [outer', n, H]; len_in = n/2 + 1, len_out = n, m = H.
            let n = len_out;
            let c = e % m;
            let k = (e / m) % n;
            let a = e / m / n;
            var v = hermitian(pair_line(a, c, 0u), k);
            let partner = pair_line(a, c, 1u);
            if partner < outer * inner {
                let w = hermitian(partner, k);
                // v + i w
                v += vec2<f32>(-w.y, w.x);
            }
            store(e, v);
        }
        case 14u: {
            // e indexes the real [outer, n, inner]; len_in = n, m = H.
            let n = len_in;
            let i = e % inner;
            let k = (e / inner) % n;
            let o = e / inner / n;
            let at = pair_of(o, i, n);
            let z = load2(at.x + k * m);
            store_real(e, select(z.x, z.y, at.y == 1u));
        }
        default: {
            // ROLL: e indexes the output, C order.
            let ndim = p[12];
            var rest = e;
            var at = 0u;
            var step = 1u;
            for (var a = ndim; a > 0u; a--) {
                let n = p[12u + a];
                let shift = p[12u + ndim + a];
                let idx = rest % n;
                rest = rest / n;
                at += ((idx + n - shift) % n) * step;
                step *= n;
            }
            copy_element(at, e);
        }
    }
}
