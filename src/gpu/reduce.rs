//! Reductions along any set of axes: sum, prod, min, max, all, any, argmin, argmax, and mean,
//! var, std built on them.
//!
//! The first pass reads the input through its expression (a pending elementwise chain is computed
//! inside the reduction kernel, with no round trip through memory). Each workgroup of 256
//! invocations reduces a block of 8192 elements of one output: every invocation combines 32
//! elements (rows of 8 invocations walking contiguous stretches of the block side by side), then a tree in workgroup memory combines the 256 partial results pairwise. Further
//! passes reduce the blocks' results the same way until one per output is left. The sum of N
//! values therefore has an error of about (32 + 8·passes)·ε rather than N·ε. Short reductions
//! (at most 32 elements per output, e.g. over the channels of an image) run one output per
//! invocation instead, so a workgroup is not spent on a handful of elements.
//!
//! Arrays larger than one storage binding ([`GpuInfo::binding`](crate::GpuInfo::binding)) run
//! each pass in chunks of whole blocks (or outputs), each input bound through the window its
//! chunk reads and the partial results through the window it writes: the arithmetic is the same
//! as unchunked, so the results are bit-identical. Only where a binding is too small to hold
//! half of a block of 8192 values are blocks made smaller (a different summation order); and
//! where strides spread even one block over more than a binding, the input is reduced through a
//! contiguous copy with the reduced axes last.
//!
//! Accumulators follow NumPy, narrowed to 32 bits: integer and bool sums and products accumulate
//! in i32 (u32 for unsigned types; NumPy: 64 bits) and wrap, floats in f32 (f16 too, rounded at
//! the end), complex in complex64.

use std::fmt::Write;

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::elementwise::{
    self, Expr, cast_code, expression_code_with, extra_words, wgsl_type, with_prelude,
};
use crate::gpu::kernels::{Input, balanced, groups_2d, record_bound, window};
use crate::gpu::pool::PooledBuffer;
use crate::view::dtype::{Dtype, Kind};
use crate::view::layout::{Layout, Order, SliceArg};

/// Elements each invocation combines before the workgroup tree. 32 rather than 8: a CPU driver
/// pays dearly for each workgroup barrier (the tree has six to eight), and 16 Mi elements
/// still make 2048 workgroups for a large GPU. Longer runs (128) were not clearly faster on
/// lavapipe and made the sequential part of each sum four times longer (its error bound).
const PER_THREAD: u64 = 32;

/// Elements one workgroup reduces in a pass reading items of `itemsize` bytes: 8192, or
/// fewer where the binding in use is so small that half of it holds less, so that one block's
/// window (alignment included) always fits a binding.
fn block_for(gpu: &Gpu, itemsize: u64) -> u64 {
    256 * (gpu.binding() / 2 / (256 * itemsize)).clamp(1, PER_THREAD)
}

/// Invocations that read consecutive elements side by side (a "row" of lanes): 8, a SIMD
/// register of f32 on a CPU driver (lavapipe's 256-bit rows), a full 32-byte memory sector on
/// a GPU. Each row of lanes owns a contiguous stretch of its block and walks it 8 elements
/// (or vectors) at a time, so every load of a row is one contiguous run. Lanes striding over the
/// whole workgroup instead (lane `l` reading `l, l + 64, ...`) made a CPU driver, which runs
/// the workgroup a row at a time, jump through memory: `sum` of 16 Mi f32 took 45 ms on
/// lavapipe that way and 14–15 ms this way (with the tree below); a GPU's warp reads whole
/// sectors either way.
const ROW: u64 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Sum,
    Prod,
    Min,
    Max,
    All,
    Any,
    ArgMin,
    ArgMax,
}

impl Op {
    fn is_arg(self) -> bool {
        matches!(self, Op::ArgMin | Op::ArgMax)
    }
}

/// The accumulator dtype of `op` over `dtype`.
fn accumulator(op: Op, dtype: Dtype) -> Result<Dtype> {
    let k = dtype.kind();
    Ok(match op {
        Op::All | Op::Any => Dtype::U32,
        _ if k == Kind::Complex && !matches!(op, Op::Sum | Op::Prod) => {
            return Err(Error::unsupported(format!(
                "{op:?} of complex numbers (NumPy orders them lexicographically; take real/abs first)"
            )));
        }
        _ => match k {
            Kind::Bool => {
                if matches!(op, Op::Sum | Op::Prod) {
                    Dtype::I32
                } else {
                    Dtype::U32
                }
            }
            Kind::Int => Dtype::I32,
            Kind::UInt => Dtype::U32,
            Kind::Float => Dtype::F32,
            Kind::Complex => Dtype::C64,
        },
    })
}

/// The dtype of the result NumPy gives (narrowed to 32 bits).
fn result_dtype(op: Op, dtype: Dtype, acc: Dtype) -> Dtype {
    match op {
        Op::All | Op::Any => Dtype::Bool,
        Op::ArgMin | Op::ArgMax => Dtype::I32,
        Op::Min | Op::Max => dtype,
        Op::Sum | Op::Prod if dtype == Dtype::F16 => Dtype::F16,
        Op::Sum | Op::Prod => acc,
    }
}

/// WGSL of the identity element and of `combine(a, b) -> P` for `op` on accumulator `acc`.
fn combine_code(op: Op, acc: Dtype) -> (String, String) {
    let t = wgsl_type(acc);
    let float = acc == Dtype::F32;
    let (lo, hi) = match acc {
        Dtype::I32 => ("-2147483647 - 1", "2147483647"),
        Dtype::U32 => ("0u", "0xffffffffu"),
        _ => ("bitcast<f32>(0xff800000u)", "bitcast<f32>(0x7f800000u)"),
    };
    let zero = match acc {
        Dtype::C64 => "vec2(0.0, 0.0)".to_string(),
        _ => format!("{t}(0)"),
    };
    let one = match acc {
        Dtype::C64 => "vec2(1.0, 0.0)".to_string(),
        _ => format!("{t}(1)"),
    };
    let identity = match op {
        Op::Sum | Op::Any => zero,
        Op::Prod | Op::All => one,
        Op::Min | Op::ArgMin => hi.to_string(),
        Op::Max | Op::ArgMax => lo.to_string(),
    };
    let value = match op {
        Op::Sum => "a.v + b.v".to_string(),
        Op::Prod if acc == Dtype::C64 => "cmul(a.v, b.v)".to_string(),
        Op::Prod => "a.v * b.v".to_string(),
        Op::Min if float => "fmin_nan(a.v, b.v)".to_string(),
        Op::Max if float => "fmax_nan(a.v, b.v)".to_string(),
        Op::Min | Op::All => "min(a.v, b.v)".to_string(),
        Op::Max | Op::Any => "max(a.v, b.v)".to_string(),
        Op::ArgMin | Op::ArgMax => String::new(),
    };
    let body = if op.is_arg() {
        // The first NaN wins (NumPy); otherwise the better value, ties to the lower index.
        let better = if op == Op::ArgMin { "<" } else { ">" };
        let nan = if float {
            "    let an = is_nan(a.v);\n    let bn = is_nan(b.v);\n    if an || bn {\n        \
             if an && (!bn || a.i < b.i) {\n            return a;\n        }\n        return b;\n    }\n"
        } else {
            ""
        };
        format!(
            "{nan}    if a.v {better} b.v || (a.v == b.v && a.i < b.i) {{\n        return a;\n    }}\n    return b;\n"
        )
    } else {
        format!("    return P({value}, 0u);\n")
    };
    (
        identity,
        format!("fn combine(a: P, b: P) -> P {{\n{body}}}\n"),
    )
}

/// Words of one partial result `P { v, i }`, padded so that `v` is an element of its dtype.
fn partial_words(acc: Dtype) -> u64 {
    if acc == Dtype::C64 { 4 } else { 2 }
}

/// Reductions of at most this many elements per output run one output per invocation,
/// sequentially (an error of at most 32·ε), instead of a workgroup per output.
const SHORT: u64 = 32;

fn is_short(r: u64) -> bool {
    r <= SHORT
}

/// The entry point for short rows: invocation m reduces output m's `R` elements in order. A
/// chunk covers outputs `[params.first, params.n)`; `out` starts at output `base`.
fn rows_main_code(acc: Dtype, extra: usize) -> String {
    let vw = if acc == Dtype::C64 { 2 } else { 1 };
    let pw = partial_words(acc);
    let store_v = if acc == Dtype::C64 {
        "    out[base] = bitcast<u32>(a.v.x);\n    out[base + 1u] = bitcast<u32>(a.v.y);\n"
    } else {
        "    out[base] = bitcast<u32>(a.v);\n"
    };
    format!(
        "@compute @workgroup_size(256)\n\
         fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
         \x20   let m = params.first + (wg.y * params.groups_x + wg.x) * 256u + lid;\n\
         \x20   if m >= params.n {{\n        return;\n    }}\n\
         \x20   var a = identity();\n\
         \x20   for (var r = 0u; r < params.dims[{e2}]; r++) {{\n\
         \x20       a = combine(a, load(m, r));\n\
         \x20   }}\n\
         \x20   let base = (m - params.dims[{e0}]) * {pw}u;\n\
         {store_v}\
         \x20   out[base + {vw}u] = a.i;\n\
         }}\n",
        e0 = extra,
        e2 = extra + 2,
    )
}

/// The entry point shared by every pass: blocks of `block` elements of one output each.
/// `load(m, r)` reads element `r` of output `m`; the extra parameters (at `extra`) are
/// `[base, M, R, G]`. A chunk covers blocks `[params.first, params.n)`; `out` starts at block
/// `base` (at most one binding alignment before `params.first`).
fn main_code(acc: Dtype, extra: usize, block: u64) -> String {
    let per_thread = block / 256;
    format!(
        "{arrays}\
         @compute @workgroup_size(256)\n\
         fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
         {head}\
         \x20   var acc = identity();\n\
         \x20   let start = g * {block}u + (lid / {ROW}u) * {span}u + lid % {ROW}u;\n\
         \x20   for (var k = 0u; k < {per_thread}u; k++) {{\n\
         \x20       let r = start + k * {ROW}u;\n\
         \x20       if r < R {{\n\
         \x20           acc = combine(acc, load(m, r));\n\
         \x20       }}\n\
         \x20   }}\n\
         {tail}",
        arrays = tree_arrays(256),
        head = block_head(extra),
        span = block / (256 / ROW),
        tail = block_tail(acc, extra, 256, "acc"),
    )
}

/// The start of a block's entry point: which block (of output `m`, `g`-th of its `G`) this
/// workgroup reduces, and the rows' length `R`.
fn block_head(extra: usize) -> String {
    format!(
        "\x20   let block = params.first + wg.y * params.groups_x + wg.x;\n\
         \x20   let blocks = params.n;\n\
         \x20   let R = params.dims[{e2}];\n\
         \x20   let G = params.dims[{e3}];\n\
         \x20   let m = min(block, blocks - 1u) / G;\n\
         \x20   let g = min(block, blocks - 1u) % G;\n",
        e2 = extra + 2,
        e3 = extra + 3,
    )
}

/// `combine` over `items` as a balanced binary tree.
fn tree(items: &[String]) -> String {
    balanced(items, &|a, b| format!("combine({a}, {b})"))
}

/// Workgroup arrays of the tree in [`block_tail`] for workgroups of `size` invocations.
fn tree_arrays(size: u64) -> String {
    format!(
        "var<workgroup> sp: array<P, {size}>;\nvar<workgroup> sq: array<P, {}>;\n\n",
        size / 8
    )
}

/// The end of a block's entry point: each invocation's partial result `first` combined over
/// the workgroup's `size` invocations (a power of two ≥ 8) and the block's result stored.
///
/// The combination is a balanced binary tree, as a loop halving the count would give (the
/// same error bound), but its levels go three at a time: after each barrier, one invocation
/// per group of 8 combines them in registers. So 256 values take three barriers and 64 take
/// two, where halving takes eight and six; a CPU driver resumes every invocation of the
/// workgroup after each barrier.
fn block_tail(acc: Dtype, extra: usize, size: u64, first: &str) -> String {
    let vw = if acc == Dtype::C64 { 2 } else { 1 };
    let pw = partial_words(acc);
    let store_v = if acc == Dtype::C64 {
        "    out[base] = bitcast<u32>(r.v.x);\n    out[base + 1u] = bitcast<u32>(r.v.y);\n"
    } else {
        "    out[base] = bitcast<u32>(r.v);\n"
    };
    let mut w = format!("\x20   sp[lid] = {first};\n    workgroupBarrier();\n");
    // Levels of 8 values while more than 8 are left, alternating between the arrays sp and sq;
    // then invocation 0 combines the last (at most 8) and stores the block's result.
    let (mut count, mut from, mut to) = (size, "sp", "sq");
    while count > 8 {
        count /= 8;
        let items: Vec<String> = (0..8).map(|i| format!("{from}[8u * lid + {i}u]")).collect();
        let _ = write!(
            w,
            "    if lid < {count}u {{\n        {to}[lid] = {};\n    }}\n    workgroupBarrier();\n",
            tree(&items)
        );
        (from, to) = (to, from);
    }
    let last: Vec<String> = (0..count).map(|i| format!("{from}[{i}]")).collect();
    format!(
        "{w}\
         \x20   if lid == 0u && block < blocks {{\n\
         \x20       let r = {last};\n\
         \x20       let base = (block - params.dims[{extra}]) * {pw}u;\n\
         {store_v}\
         \x20       out[base + {vw}u] = r.i;\n\
         \x20   }}\n\
         }}\n",
        last = tree(&last),
    )
}

/// Invocations per workgroup of [`main4_code`].
const WG4: u64 = 64;

/// [`main_code`] reading four elements at a time, in workgroups of [`WG4`] invocations:
/// invocation `lid` of a block reads `block / 256` vectors of its row's stretch of the block
/// (see [`ROW`]) and combines each lane into its own accumulator, so each lane's partial result
/// combines `block / 256` elements in sequence, as in [`main_code`]. The four lanes are then
/// combined pairwise and the 64 results in a tree: the same error bound as [`main_code`]'s tree
/// of 256 (two levels plus six), with two barriers rather than three and a quarter of the
/// invocations to resume after each, which a CPU driver pays for dearly.
/// `v` computes `v4` from the words `w0, w1, ...`; `lane(x)` turns a lane's value into the
/// accumulator's.
fn main4_code(
    acc: Dtype,
    extra: usize,
    block: u64,
    v: &elementwise::Vector4,
    inputs: usize,
    offsets: &str,
    lane: impl Fn(&str) -> String,
) -> String {
    let vectors = block / (4 * WG4);
    let mut loads = String::new();
    for i in 0..inputs {
        let _ = writeln!(loads, "            let w{i} = in{i}[(o{i} + e) >> 2u];");
    }
    let lanes: String = ["x", "y", "z", "w"]
        .iter()
        .enumerate()
        .map(|(j, c)| {
            format!(
                "            a{j} = combine(a{j}, P({}, r + {j}u));\n",
                lane(&format!("v4.{c}"))
            )
        })
        .collect();
    format!(
        "{arrays}\
         @compute @workgroup_size({WG4})\n\
         fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
         {head}{offsets}{hoisted}\
         \x20   var a0 = identity();\n\
         \x20   var a1 = a0;\n\
         \x20   var a2 = a0;\n\
         \x20   var a3 = a0;\n\
         \x20   let start = g * {block}u + (lid / {ROW}u) * {span}u + (lid % {ROW}u) * 4u;\n\
         \x20   for (var k = 0u; k < {vectors}u; k++) {{\n\
         \x20       let r = start + k * {step}u;\n\
         \x20       if r < R {{\n\
         \x20           let e = m * R + r;\n\
         {loads}{body}{lanes}\
         \x20       }}\n\
         \x20   }}\n\
         {tail}",
        arrays = tree_arrays(WG4),
        head = block_head(extra),
        span = block / (WG4 / ROW),
        step = 4 * ROW,
        hoisted = v.hoisted,
        body = v.body,
        tail = block_tail(acc, extra, WG4, "combine(combine(a0, a1), combine(a2, a3))"),
    )
}

/// `let o{i} = ...;`: each input's element offset in its window (a multiple of 4 where the
/// first pass reads vectors). It may wrap below zero, so it is added to the flat element before
/// dividing by 4.
fn offsets_code(expr: &Expr) -> String {
    let ndim = expr.shape.len();
    (0..expr.inputs.len())
        .map(|i| format!("    let o{i} = params.dims[{}];\n", ndim + i * (ndim + 1)))
        .collect()
}

/// `load(m, r)` (output m's element r, through the expression) and the entry point of the
/// first pass when it reads one element at a time: at the flat index `m·R + r` where `flat`,
/// else at the multi-index found from m and r (`kept`, `axes`) by division. Rows of `r`
/// elements, blocks of `block`.
fn scalar_main(
    expr: &Expr,
    acc: Dtype,
    (kept, axes): (&[usize], &[usize]),
    flat: bool,
    (r, block): (u64, u64),
    lane: impl Fn(&str) -> String,
) -> String {
    let ndim = expr.shape.len();
    let mut src = String::from("fn load(m: u32, r: u32) -> P {\n");
    let value = if flat {
        let _ = writeln!(
            src,
            "    let e = m * params.dims[{}] + r;",
            extra_words(expr) + 2
        );
        "value_flat(e)".to_string()
    } else {
        src += "    var mm = m;\n    var rr = r;\n";
        for &a in kept.iter().rev() {
            let _ = writeln!(
                src,
                "    let i{a} = mm % params.dims[{a}];\n    mm /= params.dims[{a}];"
            );
        }
        for &a in axes.iter().rev() {
            let _ = writeln!(
                src,
                "    let i{a} = rr % params.dims[{a}];\n    rr /= params.dims[{a}];"
            );
        }
        let args: Vec<String> = (0..ndim).map(|d| format!("i{d}")).collect();
        format!("value_nd({})", args.join(", "))
    };
    let _ = writeln!(src, "    return P({}, r);\n}}\n", lane(&value));
    src += &if is_short(r) {
        rows_main_code(acc, extra_words(expr))
    } else {
        main_code(acc, extra_words(expr), block)
    };
    src
}

fn p_struct(acc: Dtype, identity: &str) -> String {
    format!(
        "struct P {{\n    v: {},\n    i: u32,\n}}\n\nfn identity() -> P {{\n    return P({identity}, 0xffffffffu);\n}}\n\n",
        wgsl_type(acc)
    )
}

/// The flat elements that units `[u0, u1)` of a pass read, in the order of the kept axes then
/// the reduced ones (output `m`'s element `r` is flat element `m·R + r`): whole outputs for short
/// rows, else blocks of `block` elements of one output each. Consecutive units read consecutive
/// flat ranges, so a range of units reads one range of elements.
fn unit_range(u0: u64, u1: u64, r: u64, g: u64, block: u64, rows: bool) -> (u64, u64) {
    if rows {
        return (u0 * r, u1 * r);
    }
    let last = u1 - 1;
    let start = (u0 / g) * r + (u0 % g) * block;
    let end = (last / g) * r + ((last % g + 1) * block).min(r);
    (start, end)
}

/// Runs one pass: `blocks = M·G` workgroups (or one invocation per output for short rows).
///
/// `inputs` carry layouts whose C order is the pass's flat order (kept axes, then reduced axes),
/// and `offsets[i]` is the parameter word holding input `i`'s element offset. The pass runs in
/// chunks of units (blocks or outputs) whose inputs and partial results each fit one storage
/// binding: each input is bound through the window its chunk reads (as the elementwise kernels
/// do), the results through the window the chunk writes, and `params.first`/`params.n` give the
/// chunk's first and one-past-last unit. `None` when even the smallest chunk reads more than one
/// binding of some input (strides spread its elements too far apart).
#[allow(clippy::too_many_arguments)]
fn run_pass(
    gpu: &Gpu,
    source: &str,
    inputs: &[Input<'_>],
    offsets: &[usize],
    mut params: Vec<u32>,
    (m, r, block): (u64, u64, u64),
    acc: Dtype,
) -> Result<Option<(PooledBuffer, u64)>> {
    let rows = is_short(r);
    let g = if rows { 1 } else { r.div_ceil(block).max(1) };
    let blocks = m * g;
    if blocks > u32::MAX as u64 || r > u32::MAX as u64 || m * r > u32::MAX as u64 {
        return Err(Error::unsupported(
            "reductions over more than 2^32 elements",
        ));
    }
    let base_word = params.len();
    params.extend([0, m as u32, r as u32, g as u32]);
    let pipeline = gpu.generated_pipeline(source)?;
    let unit_bytes = partial_words(acc) * 4;
    let out = gpu.buffer(blocks * unit_bytes, GpuArray::USAGE)?;

    // Windows start up to one alignment before what a chunk reads or writes: leave room for it.
    let binding = gpu.binding();
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    let room = binding.saturating_sub(align + 16);
    let units = if rows { m } else { blocks };
    let per_unit = if rows { r.max(1) } else { block };
    let widest = inputs.iter().map(|i| i.itemsize as u64).max().unwrap_or(1);
    let mut chunk = (room / unit_bytes).min(room / (per_unit * widest)).max(1);
    let fits = gpu.record("running a reduction", |encoder| {
        let mut u0 = 0;
        while u0 < units {
            let u1 = (u0 + chunk).min(units);
            let (e0, e1) = unit_range(u0, u1, r, g, block, rows);
            let windows: Vec<(u64, u64, u32)> = inputs
                .iter()
                .map(|i| {
                    if e0 == e1 {
                        (0, i.buffer.size().min(4), i.layout.offset as u32)
                    } else {
                        window(gpu, i, e0, e1)
                    }
                })
                .collect();
            if windows.iter().any(|&(start, end, _)| end - start > binding) {
                if chunk == 1 {
                    return Ok(false);
                }
                chunk /= 2;
                continue;
            }
            // Short rows: one output per invocation; else one workgroup per block.
            let count = u1 - u0;
            let groups = groups_2d(if rows { count.div_ceil(256) } else { count });
            let mut p = params.clone();
            // The results' window starts at an aligned offset, at unit `base`.
            let out_start = u0 * unit_bytes / align * align;
            (p[0], p[1], p[2]) = (u1 as u32, u0 as u32, groups.0);
            p[base_word] = (out_start / unit_bytes) as u32;
            for (&at, &(_, _, offset)) in offsets.iter().zip(&windows) {
                p[at] = offset;
            }
            let p = gpu.params(&p)?;
            record_bound(
                gpu,
                encoder,
                &pipeline,
                inputs,
                &windows,
                (out.buffer(), out_start, u1 * unit_bytes - out_start),
                p.buffer_binding(),
                groups,
            );
            u0 = u1;
        }
        Ok(true)
    })?;
    Ok(fits.then_some((out, g)))
}

/// Normalises `axes` (negative count from the end; `None` = all) to a sorted, unique list.
fn normalize_axes(axes: Option<&[isize]>, ndim: usize) -> Result<Vec<usize>> {
    let Some(axes) = axes else {
        return Ok((0..ndim).collect());
    };
    let mut out = vec![];
    for &a in axes {
        let k = if a < 0 { a + ndim as isize } else { a };
        if k < 0 || k >= ndim as isize {
            return Err(Error::shape(format!(
                "axis {a} is out of bounds for an array of {ndim} dimensions"
            )));
        }
        if out.contains(&(k as usize)) {
            return Err(Error::shape(format!("axis {a} is repeated in {axes:?}")));
        }
        out.push(k as usize);
    }
    out.sort_unstable();
    Ok(out)
}

fn reduce(x: &GpuArray, op: Op, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
    reduce_with(x, op, axes, keepdims, true)
}

/// [`reduce`]; with `may_copy`, an input whose strides spread a chunk over more than one binding
/// is reduced through a contiguous copy.
fn reduce_with(
    x: &GpuArray,
    op: Op,
    axes: Option<&[isize]>,
    keepdims: bool,
    may_copy: bool,
) -> Result<GpuArray> {
    x.check()?;
    let gpu = &x.gpu;
    let ndim = x.ndim();
    let axes = normalize_axes(axes, ndim)?;
    let kept: Vec<usize> = (0..ndim).filter(|a| !axes.contains(a)).collect();
    let m: u64 = kept.iter().map(|&a| x.shape()[a] as u64).product();
    let r: u64 = axes.iter().map(|&a| x.shape()[a] as u64).product();
    let acc = accumulator(op, x.dtype)?;
    let out_dtype = result_dtype(op, x.dtype, acc);
    let out_shape: Vec<usize> = (0..ndim)
        .filter_map(|a| match (axes.contains(&a), keepdims) {
            (false, _) => Some(x.shape()[a]),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    if r == 0 && matches!(op, Op::Min | Op::Max | Op::ArgMin | Op::ArgMax) {
        return Err(Error::shape(format!(
            "zero-size reduction of shape {:?} along axes {axes:?} has no identity for {op:?}",
            x.shape()
        )));
    }
    let (identity, combine) = combine_code(op, acc);
    let pw = partial_words(acc);
    if m == 0 {
        let empty = GpuArray::from_parts(
            gpu.clone(),
            gpu.buffer(4, GpuArray::USAGE)?,
            acc,
            Layout::contiguous(&out_shape, 1, Order::C)?,
        );
        return empty.cast(out_dtype);
    }

    // Pass 1: through the input's expression.
    let expr = Expr::of(x).bounded(gpu, elementwise::max_inputs(gpu))?;
    let widest = expr.inputs.iter().map(|a| a.dtype.itemsize() as u64).max();
    let block = block_for(gpu, widest.unwrap_or(4));
    // Reducing trailing axes of C-contiguous inputs, output m's element r is flat element
    // m·R + r: read there directly. Otherwise the multi-index comes from m and r by division,
    // which a CPU driver cannot vectorise.
    let trailing = axes.iter().copied().eq(ndim - axes.len()..ndim);
    let flat = trailing && expr.inputs.iter().all(|a| a.layout.is_c_contiguous(1));
    // Flat rows of 32-bit inputs at offsets that are multiples of 4, in rows of a multiple of 4
    // elements: every block starts on a 16-byte word, so it is read four elements per load.
    let vector = flat
        && !is_short(r)
        && r % 4 == 0
        && block % (4 * WG4) == 0
        && expr.dtype().kind() != Kind::Complex
        && acc != Dtype::C64
        && expr
            .inputs
            .iter()
            .all(|a| a.dtype.itemsize() == 4 && a.layout.offset % 4 == 0);
    let from = expr.dtype();
    // The accumulator's value of the expression's value `value` at element r.
    let lane = |value: &str| match op {
        Op::All | Op::Any => format!("u32({})", cast_code(from, Dtype::Bool, value)),
        _ if from == Dtype::Bool && acc == Dtype::U32 => format!("u32({value})"),
        _ => cast_code(from, acc, value),
    };
    let mut src = if vector {
        let v = elementwise::vector4_code(&expr);
        let mut src = elementwise::bindings(&expr, "vec4<u32>", "u32");
        src += &v.fns;
        src += &p_struct(acc, &identity);
        src += &combine;
        src += &main4_code(
            acc,
            extra_words(&expr),
            block,
            &v,
            expr.inputs.len(),
            &offsets_code(&expr),
            lane,
        );
        src
    } else {
        expression_code_with(&expr, flat)
    };
    if !vector {
        src += &p_struct(acc, &identity);
        src += &combine;
    }
    if !vector {
        src += &scalar_main(&expr, acc, (&kept, &axes), flat, (r, block), lane);
    }
    let src = with_prelude(src);
    let mut params: Vec<u32> = vec![0, 0, 0, ndim as u32];
    params.extend(expr.shape.iter().map(|&d| d as u32));
    // Each input is bound through the window its elements span, found on its layout with the
    // kept axes first: there, output m's element r is flat element m·R + r.
    let order: Vec<usize> = kept.iter().chain(&axes).copied().collect();
    let storages = expr
        .inputs
        .iter()
        .map(|a| a.storage())
        .collect::<Result<Vec<_>>>()?;
    let permuted: Vec<Layout> = expr
        .inputs
        .iter()
        .map(|a| {
            let l = &a.layout;
            Layout::new(
                order.iter().map(|&d| l.shape[d]).collect(),
                order.iter().map(|&d| l.strides[d]).collect(),
                l.offset,
            )
        })
        .collect();
    let mut inputs = vec![];
    let mut offsets = vec![];
    for ((a, s), layout) in expr.inputs.iter().zip(&storages).zip(&permuted) {
        offsets.push(params.len());
        params.push(0);
        params.extend(a.layout.strides.iter().map(|&s| s as i32 as u32));
        inputs.push(Input {
            buffer: s.buffer(),
            layout,
            itemsize: a.dtype.itemsize(),
        });
    }
    params.extend(expr.scalars.concat());
    let pass = run_pass(gpu, &src, &inputs, &offsets, params, (m, r, block), acc)?;
    let Some((mut partials, mut g)) = pass else {
        // Strides spread one output's elements over more than a binding: split the reduced
        // axis that spreads them most in two halves, reduce each (splitting further where
        // needed) and combine the halves elementwise, pairwise as the blocks are.
        let spread = |a: &&usize| x.shape()[**a] as i128 * (x.strides()[**a] as i128).abs();
        let widest = axes
            .iter()
            .filter(|&&a| x.shape()[a] > 1)
            .max_by_key(spread);
        if let (Some(&a), false) = (widest, op.is_arg()) {
            let half = (x.shape()[a] / 2) as isize;
            let band = |lo, hi| {
                let mut args = vec![SliceArg::ALL; ndim];
                args[a] = SliceArg::range(lo, hi, 1);
                x.slice(&args)
            };
            let axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
            let lo = reduce_with(
                &band(None, Some(half))?,
                op,
                Some(&axes),
                keepdims,
                may_copy,
            )?;
            let hi = reduce_with(
                &band(Some(half), None)?,
                op,
                Some(&axes),
                keepdims,
                may_copy,
            )?;
            return match op {
                Op::Sum | Op::Any => lo.add(&hi),
                Op::Prod | Op::All => lo.mul(&hi),
                Op::Min => lo.minimum(&hi),
                _ => lo.maximum(&hi),
            };
        }
        if !may_copy {
            return Err(Error::unsupported(format!(
                "a reduction whose blocks span more than one storage binding ({} bytes)",
                gpu.binding()
            )));
        }
        // argmin and argmax: reduce a contiguous copy with the reduced axes last instead (the
        // copy is chunked).
        let copy = x.permute(&order)?.contiguous()?;
        let trailing: Vec<isize> = (kept.len()..ndim).map(|a| a as isize).collect();
        let shape: Vec<isize> = out_shape.iter().map(|&d| d as isize).collect();
        return reduce_with(&copy, op, Some(&trailing), false, false)?.reshape(&shape);
    };

    // Further passes over the partial results [M, G] until G = 1; partial (m, r) is at
    // `params.dims[1] + m·G + r` in its window.
    while g > 1 {
        let vw = if acc == Dtype::C64 { 2 } else { 1 };
        let load_v = if acc == Dtype::C64 {
            "vec2(bitcast<f32>(in0[at]), bitcast<f32>(in0[at + 1u]))".to_string()
        } else {
            format!("bitcast<{}>(in0[at])", wgsl_type(acc))
        };
        let src = format!(
            "\nstruct Params {{\n    n: u32,\n    first: u32,\n    groups_x: u32,\n    ndim: u32,\n    dims: array<u32>,\n}}\n\n\
             @group(0) @binding(0) var<storage, read> in0: array<u32>;\n\
             @group(0) @binding(1) var<storage, read_write> out: array<u32>;\n\
             @group(0) @binding(2) var<storage, read> params: Params;\n\n\
             {p}{combine}\
             fn load(m: u32, r: u32) -> P {{\n    let at = (params.dims[1] + m * params.dims[0] + r) * {pw}u;\n    return P({load_v}, in0[at + {vw}u]);\n}}\n\n{main}",
            p = p_struct(acc, &identity),
            main = if is_short(g) {
                rows_main_code(acc, 2)
            } else {
                main_code(acc, 2, block_for(gpu, pw * 4))
            },
        );
        let src = with_prelude(src);
        let layout = Layout::contiguous(&[(m * g) as usize], 1, Order::C)?;
        let prev = Input {
            buffer: partials.buffer(),
            layout: &layout,
            itemsize: (pw * 4) as usize,
        };
        let params = vec![0, 0, 0, 0, g as u32, 0];
        let dims = (m, g, block_for(gpu, pw * 4));
        let (next, next_g) = run_pass(gpu, &src, &[prev], &[5], params, dims, acc)?
            .ok_or_else(|| Error::unsupported("partial results wider than one storage binding"))?;
        partials = next;
        g = next_g;
    }

    // The final partials hold (value, index) per output: view the part that is the result.
    let words = partial_words(acc) as isize;
    let shape: Vec<usize> = out_shape.clone();
    let c = Layout::contiguous(&shape, 1, Order::C)?;
    let (dtype, offset, per) = if op.is_arg() {
        (Dtype::I32, if acc == Dtype::C64 { 2 } else { 1 }, words)
    } else {
        let elems = if acc == Dtype::C64 { words / 2 } else { words };
        (acc, 0, elems)
    };
    let layout = Layout::new(shape, c.strides.iter().map(|s| s * per).collect(), offset);
    let result = GpuArray::from_parts(gpu.clone(), partials, dtype, layout);
    if result.dtype == out_dtype {
        Ok(result)
    } else {
        result.cast(out_dtype)
    }
}

impl GpuArray {
    /// Sum over `axes` (`None`: all), keeping reduced axes as size 1 with `keepdims`. Integers
    /// and bool accumulate in i32 (u32 for unsigned) and wrap; floats in f32, pairwise.
    ///
    /// ```
    /// use gpuarray::{Gpu, View};
    /// let gpu = Gpu::new()?;
    /// let a = gpu.upload(&View::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?)?;
    /// assert_eq!(a.sum(Some(&[0]), false)?.to_host()?.as_slice::<f32>()?, [5.0, 7.0, 9.0]);
    /// assert_eq!(a.sum(None, false)?.to_host()?.as_slice::<f32>()?, [21.0]);
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn sum(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        reduce(self, Op::Sum, axes, keepdims)
    }

    /// Product over `axes`.
    pub fn prod(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        reduce(self, Op::Prod, axes, keepdims)
    }

    /// Minimum over `axes` (NaN propagates; an empty reduction is an error).
    pub fn min(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        reduce(self, Op::Min, axes, keepdims)
    }

    /// Maximum over `axes` (NaN propagates; an empty reduction is an error).
    pub fn max(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        reduce(self, Op::Max, axes, keepdims)
    }

    /// Whether all elements over `axes` are nonzero.
    pub fn all(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        reduce(self, Op::All, axes, keepdims)
    }

    /// Whether any element over `axes` is nonzero.
    pub fn any(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        reduce(self, Op::Any, axes, keepdims)
    }

    /// Index of the minimum along `axis` (`None`: of the flattened array), first occurrence;
    /// the first NaN wins, as in NumPy. `i32` indices.
    pub fn argmin(&self, axis: Option<isize>) -> Result<GpuArray> {
        reduce(
            self,
            Op::ArgMin,
            axis.as_ref().map(std::slice::from_ref),
            false,
        )
    }

    /// Index of the maximum along `axis` (`None`: of the flattened array).
    pub fn argmax(&self, axis: Option<isize>) -> Result<GpuArray> {
        reduce(
            self,
            Op::ArgMax,
            axis.as_ref().map(std::slice::from_ref),
            false,
        )
    }

    /// Mean over `axes`: a float sum divided by the count (integers give f32; NumPy: f64).
    /// The mean of nothing is NaN.
    pub fn mean(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<GpuArray> {
        self.check()?;
        let count = count(self, axes)?;
        let float = match self.dtype.kind() {
            Kind::Float | Kind::Complex => self.dtype,
            _ => Dtype::F32,
        };
        let sum = self.cast(float)?.sum(axes, keepdims)?;
        sum.div(count as f64)
    }

    /// Variance over `axes` with `ddof` delta degrees of freedom: `mean(|x - mean(x)|²)` with
    /// the divisor `N - ddof`, in two passes (the second fused with the subtraction).
    pub fn var(&self, axes: Option<&[isize]>, ddof: usize, keepdims: bool) -> Result<GpuArray> {
        self.check()?;
        let n = count(self, axes)?;
        let x = self.cast(if self.dtype.kind() == Kind::Complex {
            Dtype::C64
        } else {
            Dtype::F32
        })?;
        let mean = x.mean(axes, true)?;
        let d = x.sub(&mean)?;
        let sq = if x.dtype == Dtype::C64 {
            d.real()?
                .mul(&d.real()?)?
                .add(&d.imag()?.mul(&d.imag()?)?)?
        } else {
            d.mul(&d)?
        };
        let s = sq.sum(axes, keepdims)?;
        let var = s.div(n as f64 - ddof as f64)?;
        match self.dtype {
            Dtype::F16 => var.cast(Dtype::F16),
            _ => Ok(var),
        }
    }

    /// Standard deviation: `sqrt(var)`.
    pub fn std(&self, axes: Option<&[isize]>, ddof: usize, keepdims: bool) -> Result<GpuArray> {
        self.var(axes, ddof, keepdims)?.sqrt()
    }
}

/// Elements reduced per output.
fn count(x: &GpuArray, axes: Option<&[isize]>) -> Result<usize> {
    let axes = normalize_axes(axes, x.ndim())?;
    Ok(axes.iter().map(|&a| x.shape()[a]).product())
}
