// Functions shared by the filter shaders, joined in front of each at load time (`PRELUDE` in
// src/filters/mod.rs; tests/shaders.rs validates the joined text). A shader that needs them
// starts with the line `// Joined after shaders/common.wgsl.`

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
            // dcb|abcd|cba: symmetric about 0, period 2n - 2. Remainders of non-negative values
            // only: `%` of a negative operand is undefined in GLSL.
            if n == 1 {
                return 0;
            }
            let period = 2 * n - 2;
            let m = abs(i) % period;
            return select(m, period - m, m >= n);
        }
        case 2u: {
            if i >= 0 {
                return i % n;
            }
            return n - 1 - (-i - 1) % n;
        }
        default: {
            return -1;
        }
    }
}
