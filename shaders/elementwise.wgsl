// Helpers for the generated elementwise kernels (src/gpu/elementwise.rs puts this file in front
// of each generated kernel). Compute types: bool; i32 for i8/i16/i32; u32 for u8/u16/u32; f32 for
// f16/f32 (f16 results rounded back with f16r); vec2<f32> (re, im) for complex64.
//
// NaN and zero tests look at the bits: drivers may compile float comparisons assuming no NaN.

fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn is_zero(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) == 0u;
}

fn nan() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

// y, unless x is NaN: then x (math functions propagate NaN; WGSL's builtins need not).
fn nanp(x: f32, y: f32) -> f32 {
    return select(y, x, is_nan(x));
}

// Rounds an f32 to the nearest f16 value (ties to even), as f32.
fn f16r(x: f32) -> f32 {
    return unpack2x16float(pack2x16float(vec2(x, 0.0)) & 0xffffu).x;
}

// Float → integer: NaN → 0, truncation toward zero, saturation at the type's range.
fn f2i(x: f32, lo: f32, hi: f32) -> i32 {
    if is_nan(x) {
        return 0;
    }
    if x >= 2147483648.0 {
        return 2147483647;
    }
    return i32(clamp(x, max(lo, -2147483648.0), hi));
}

fn f2u(x: f32, hi: f32) -> u32 {
    if is_nan(x) || x <= 0.0 {
        return 0u;
    }
    if x >= 4294967296.0 {
        return 0xffffffffu;
    }
    return u32(min(x, hi));
}

// NumPy's minimum/maximum: NaN in either operand gives NaN.
fn fmin_nan(a: f32, b: f32) -> f32 {
    return select(select(min(a, b), b, is_nan(b)), a, is_nan(a));
}

fn fmax_nan(a: f32, b: f32) -> f32 {
    return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
}

fn fsign(x: f32) -> f32 {
    if is_nan(x) {
        return x;
    }
    return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0);
}

// Integer floor division and Python-style remainder; division by zero gives 0 (NumPy's result),
// and i32::MIN // -1 wraps to i32::MIN.
fn idiv(a: i32, b: i32) -> i32 {
    if b == 0 {
        return 0;
    }
    if b == -1 {
        return bitcast<i32>(0u - bitcast<u32>(a));
    }
    // `%` of negative integers is not portable (GLSL leaves it undefined): a - q·b instead.
    let q = a / b;
    return select(q, q - 1, (a - q * b != 0) && ((a < 0) != (b < 0)));
}

fn irem(a: i32, b: i32) -> i32 {
    if b == 0 || b == -1 {
        return 0;
    }
    let r = a - (a / b) * b;
    return select(r, r + b, (r != 0) && ((r < 0) != (b < 0)));
}

fn udiv(a: u32, b: u32) -> u32 {
    return select(a / max(b, 1u), 0u, b == 0u);
}

fn urem(a: u32, b: u32) -> u32 {
    return select(a % max(b, 1u), 0u, b == 0u);
}

// NumPy's float divmod (npy_divmod): the remainder has the sign of the divisor, the quotient is
// floor((a - rem) / b) corrected to the nearest integer; division by zero gives NaN / ±inf.
fn frem(a: f32, b: f32) -> f32 {
    if is_zero(b) {
        return nan();
    }
    var m = a % b;
    if !is_zero(m) {
        if (b < 0.0) != (m < 0.0) {
            m += b;
        }
    } else {
        m = select(0.0, -0.0, b < 0.0);
    }
    return m;
}

fn ffloordiv(a: f32, b: f32) -> f32 {
    if is_zero(b) {
        return a / b;
    }
    let m = a % b;
    var div = (a - m) / b;
    if !is_zero(m) && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if !is_zero(div) {
        var fd = floor(div);
        if div - fd > 0.5 {
            fd += 1.0;
        }
        return fd;
    }
    return select(0.0, -0.0, (a < 0.0) != (b < 0.0));
}

// Integer powers by squaring; a negative exponent gives trunc(1 / a^|b|).
fn ipow(a: i32, b: i32) -> i32 {
    if b < 0 {
        if a == 1 {
            return 1;
        }
        if a == -1 {
            return select(1, -1, (b & 1) != 0);
        }
        return 0;
    }
    var result = 1;
    var base = a;
    var e = u32(b);
    while e != 0u {
        if (e & 1u) != 0u {
            result *= base;
        }
        base *= base;
        e >>= 1u;
    }
    return result;
}

fn upow(a: u32, b: u32) -> u32 {
    var result = 1u;
    var base = a;
    var e = b;
    while e != 0u {
        if (e & 1u) != 0u {
            result *= base;
        }
        base *= base;
        e >>= 1u;
    }
    return result;
}

// C pow: negative bases with integral exponents, pow(x, 0) = 1, pow(1, y) = 1.
fn fpow(a: f32, b: f32) -> f32 {
    if is_zero(b) || a == 1.0 {
        return 1.0;
    }
    if is_nan(a) || is_nan(b) {
        return nan();
    }
    if a < 0.0 {
        if trunc(b) != b {
            return nan();
        }
        let odd = abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
        let m = pow(-a, b);
        return select(m, -m, odd);
    }
    if is_zero(a) {
        return select(0.0, bitcast<f32>(0x7f800000u), b < 0.0);
    }
    return pow(a, b);
}

// log1p and expm1 without cancellation. Series near 0 rather than the classic tricks that rely
// on `(1 + x) - 1` being computed exactly: shader compilers may reassociate that to `x`.
fn log1p_(x: f32) -> f32 {
    if abs(x) < 0.5 {
        // log(1 + x) = 2 atanh(s), s = x / (2 + x), |s| < 1/3: odd series in s to s^13.
        let s = x / (2.0 + x);
        let s2 = s * s;
        let p = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
            + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0))))));
        return 2.0 * s * p;
    }
    return log(1.0 + x);
}

fn expm1_(x: f32) -> f32 {
    if abs(x) < 0.5 {
        // Taylor series to x^10 / 10!: the next term is below 2^-25 relative.
        return x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
            + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0
            + x * (1.0 / 3628800.0))))))))));
    }
    return exp(x) - 1.0;
}

fn fround(x: f32) -> f32 {
    // WGSL's round() is round half to even.
    return round(x);
}

// Complex helpers (re, im).
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// Smith's algorithm: no overflow in |b|².
fn cdiv(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    if abs(b.x) >= abs(b.y) {
        if is_zero(b.x) && is_zero(b.y) {
            return vec2(a.x / b.x, a.y / b.x);
        }
        let r = b.y / b.x;
        let d = b.x + b.y * r;
        return vec2((a.x + a.y * r) / d, (a.y - a.x * r) / d);
    }
    let r = b.x / b.y;
    let d = b.x * r + b.y;
    return vec2((a.x * r + a.y) / d, (a.y * r - a.x) / d);
}

// |z| without overflow or underflow in the squares.
fn cabs(a: vec2<f32>) -> f32 {
    let m = max(abs(a.x), abs(a.y));
    if is_nan(a.x) || is_nan(a.y) {
        return select(nan(), m, is_inf(a.x) || is_inf(a.y));
    }
    if is_zero(m) || is_inf(m) {
        return m;
    }
    let x = a.x / m;
    let y = a.y / m;
    return m * sqrt(x * x + y * y);
}

fn cexp(a: vec2<f32>) -> vec2<f32> {
    let r = exp(a.x);
    if is_zero(a.y) {
        return vec2(r, a.y);
    }
    return vec2(r * cos(a.y), r * sin(a.y));
}

fn clog(a: vec2<f32>) -> vec2<f32> {
    return vec2(log(cabs(a)), atan2(a.y, a.x));
}

fn csqrt(a: vec2<f32>) -> vec2<f32> {
    if is_zero(a.x) && is_zero(a.y) {
        return vec2(0.0, a.y);
    }
    let t = sqrt((abs(a.x) + cabs(a)) * 0.5);
    if a.x >= 0.0 {
        return vec2(t, a.y / (2.0 * t));
    }
    return vec2(abs(a.y) / (2.0 * t), select(t, -t, a.y < 0.0));
}

fn cpow(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    if is_zero(b.x) && is_zero(b.y) {
        return vec2(1.0, 0.0);
    }
    if is_zero(a.x) && is_zero(a.y) {
        return vec2(0.0, 0.0);
    }
    return cexp(cmul(b, clog(a)));
}

// Lexicographic complex ordering, as NumPy sorts complex numbers.
fn clt(a: vec2<f32>, b: vec2<f32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

fn cle(a: vec2<f32>, b: vec2<f32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y <= b.y);
}

// Real functions outside their domain give NaN (WGSL leaves them indeterminate), and log(0) is
// -inf, as in IEEE/NumPy.
fn fsqrt(x: f32) -> f32 {
    return select(sqrt(x), nan(), x < 0.0);
}

fn flog(x: f32) -> f32 {
    if is_zero(x) {
        return bitcast<f32>(0xff800000u);
    }
    return select(log(x), nan(), x < 0.0 || is_nan(x));
}

fn flog2(x: f32) -> f32 {
    if is_zero(x) {
        return bitcast<f32>(0xff800000u);
    }
    return select(log2(x), nan(), x < 0.0 || is_nan(x));
}

fn flog10(x: f32) -> f32 {
    return flog(x) * 0.4342944819032518;
}

fn flog1p(x: f32) -> f32 {
    if x == -1.0 {
        return bitcast<f32>(0xff800000u);
    }
    return select(log1p_(x), nan(), x < -1.0 || is_nan(x));
}

fn fasin(x: f32) -> f32 {
    return select(asin(x), nan(), abs(x) > 1.0 || is_nan(x));
}

fn facos(x: f32) -> f32 {
    return select(acos(x), nan(), abs(x) > 1.0 || is_nan(x));
}

fn ftanh(x: f32) -> f32 {
    return select(tanh(x), sign(x), abs(x) > 10.0);
}

fn fsinh(x: f32) -> f32 {
    if abs(x) < 0.5 {
        // sinh x = x + x³/6 + x⁵/120 + ...: no cancellation near 0.
        let x2 = x * x;
        return x * (1.0 + x2 * (1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 / 5040.0)));
    }
    return sinh(x);
}
