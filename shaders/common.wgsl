// Functions shared by the filter shaders, joined in front of each at load time (`PRELUDE` in
// src/filters/mod.rs; tests/shaders.rs validates the joined text). A shader that needs them
// starts with the line `// Joined after shaders/common.wgsl.`

// ⌊i / n⌋ and the remainder in [0, n), for n > 0 (any i32 i), without an integer division: a
// CPU driver has no vector integer division, so LLVM splits one into a scalar division per
// SIMD lane, and a driver that runs both sides of every branch under a mask pays for it
// wherever it appears (the border rule's remainders, per tap). The f32 quotient is off by at
// most 2^8 (|i| < 2^31, 24-bit significand); a second one of the small remainder by at most
// one, which the last step corrects: exact, as `%` and `/` would be.
fn divmod(i: i32, n: i32) -> vec2<i32> {
    let d = f32(n);
    var q = i32(floor(f32(i) / d));
    // (Wrapping: the true remainder is small, so the wrapped difference is it.)
    var r = i - q * n;
    let q2 = i32(floor(f32(r) / d));
    q += q2;
    r -= q2 * n;
    if r < 0 {
        q -= 1;
        r += n;
    }
    if r >= n {
        q += 1;
        r -= n;
    }
    return vec2(q, r);
}

// The index position `i` (any integer) reads along an axis of length `n` by the border `mode`
// (0 clamp, 1 reflect-101, 2 wrap, 3 constant), or -1 for the constant.
fn border(i: i32, n: i32, mode: u32) -> i32 {
    if i >= 0 && i < n {
        return i;
    }
    switch mode {
        case 0u: {
            return clamp(i, 0, n - 1);
        }
        case 1u: {
            // dcb|abcd|cba: symmetric about 0, period 2n - 2.
            if n == 1 {
                return 0;
            }
            let period = 2 * n - 2;
            let m = divmod(abs(i), period).y;
            return select(m, period - m, m >= n);
        }
        case 2u: {
            return divmod(i, n).y;
        }
        default: {
            return -1;
        }
    }
}
