//! Elementwise operations as lazy expressions, fused into one generated kernel when evaluated.
//!
//! An operation on arrays builds an [`Expr`]: a tree of operations over input arrays (read in
//! place with their own strides, broadcast by zero strides) and scalars (passed as parameters, so
//! the kernel does not depend on their values). Operating on a lazy array inlines its tree, so a
//! chain like `((a * b + c).sqrt() * 2.0)` becomes one kernel with one dispatch. The kernel's WGSL
//! is generated from the tree's structure (operations, dtypes, number of dimensions), validated
//! with naga, and compiled once: shapes, strides and scalar values are parameters.

use std::fmt::Write;

use crate::error::{Error, Result};
use crate::gpu::array::{Data, GpuArray, dtype_code};
use crate::gpu::context::Gpu;
use crate::gpu::kernels::{self, Input};
use crate::gpu::pool::PooledBuffer;
use crate::gpu::promote::{Scalar, float_for, promote};
use crate::view::dtype::{Dtype, Kind};
use crate::view::layout::{Layout, Order};

const PRELUDE: &str = include_str!("../../shaders/elementwise.wgsl");

/// The helper functions of `shaders/elementwise.wgsl` that `code` calls, directly or through
/// each other, in the file's order. Shader compilers (OpenGL's above all) take time for every
/// function they are given, so generated kernels carry only what they use.
pub(crate) fn prelude_for(code: &str) -> String {
    static ITEMS: std::sync::LazyLock<Vec<(String, String)>> = std::sync::LazyLock::new(|| {
        // Each item: a function (up to its closing `}` at column 0) and the lines above it.
        let mut items: Vec<(String, String)> = vec![];
        let mut pending = String::new();
        let mut in_fn = false;
        for line in PRELUDE.lines() {
            if in_fn {
                let text = &mut items.last_mut().expect("inside a function").1;
                text.push_str(line);
                text.push('\n');
                in_fn = line != "}";
            } else if let Some(rest) = line.strip_prefix("fn ") {
                let name = rest
                    .split('(')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let text = std::mem::take(&mut pending) + line + "\n";
                items.push((name, text));
                in_fn = true;
            } else {
                pending.push_str(line);
                pending.push('\n');
            }
        }
        items
    });
    let calls = |text: &str, name: &str| {
        text.match_indices(&format!("{name}(")).any(|(at, _)| {
            !text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    let mut needed = vec![false; ITEMS.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (i, (name, _)) in ITEMS.iter().enumerate() {
            if !needed[i]
                && (calls(code, name)
                    || ITEMS
                        .iter()
                        .zip(&needed)
                        .any(|((_, t), &n)| n && calls(t, name)))
            {
                needed[i] = true;
                changed = true;
            }
        }
    }
    ITEMS
        .iter()
        .zip(&needed)
        .filter(|(_, n)| **n)
        .map(|((_, t), _)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
/// Nodes in one fused kernel before an operand is evaluated on its own.
const MAX_NODES: usize = 96;

/// Unary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Un {
    Neg,
    Abs,
    Sign,
    Sqrt,
    Exp,
    Exp2,
    Log,
    Log2,
    Log10,
    Log1p,
    Expm1,
    Sin,
    Cos,
    Tan,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Ceil,
    Round,
    Trunc,
    Not,
    Invert,
    IsNan,
    IsInf,
    IsFinite,
    Real,
    Imag,
    Conj,
    Angle,
}

/// Binary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Rem,
    Pow,
    Min,
    Max,
    Arctan2,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    MakeComplex,
}

/// A node of an expression tree with the dtype of its value.
#[derive(Clone, Debug)]
pub(crate) struct Typed {
    node: Node,
    dtype: Dtype,
}

#[derive(Clone, Debug)]
enum Node {
    /// `inputs[k]`.
    Input(usize),
    /// `scalars[k]`.
    Scalar(usize),
    /// The operand converted to this node's dtype (NumPy `astype` rules).
    Cast(Box<Typed>),
    Unary(Un, Box<Typed>),
    Binary(Bin, Box<Typed>, Box<Typed>),
    /// `where(cond, x, y)`.
    Select(Box<Typed>, Box<Typed>, Box<Typed>),
}

/// A pending elementwise computation of `shape`.
#[derive(Clone)]
pub(crate) struct Expr {
    root: Typed,
    /// Computed arrays, each already broadcast to `shape`.
    pub(crate) inputs: Vec<GpuArray>,
    /// Words of each scalar (two for complex).
    pub(crate) scalars: Vec<Vec<u32>>,
    pub(crate) shape: Vec<usize>,
}

fn unsupported(what: &str, dtype: Dtype) -> Error {
    Error::dtype(format!("{what} is not defined for {dtype}"))
}

/// The dtype an operand is converted to, and the dtype of the result, for a unary operation.
fn unary_types(op: Un, x: Dtype) -> Result<(Dtype, Dtype)> {
    use Kind::*;
    use Un::*;
    let k = x.kind();
    let float_fn = |complex_ok: bool| match k {
        Complex if complex_ok => Ok((x, x)),
        Complex => Err(Error::unsupported(format!("{op:?} of complex numbers"))),
        _ => Ok((float_for(x), float_for(x))),
    };
    match op {
        Neg | Sign if k == Bool => Err(unsupported(&format!("{op:?}"), x)),
        Sign if k == Complex => Err(Error::unsupported("sign of complex numbers")),
        Neg | Sign | Conj => Ok((x, x)),
        Abs if k == Complex => Ok((x, Dtype::F32)),
        Abs => Ok((x, x)),
        Sqrt | Exp | Log => float_fn(true),
        Exp2 | Log2 | Log10 | Log1p | Expm1 | Sin | Cos | Tan | Arcsin | Arccos | Arctan | Sinh
        | Cosh | Tanh => float_fn(false),
        Floor | Ceil | Trunc => float_fn(false),
        Round if k == Complex => Err(Error::unsupported("round of complex numbers")),
        Round => Ok((x, x)),
        Not | IsNan | IsInf | IsFinite => Ok((x, Dtype::Bool)),
        Invert if matches!(k, Float | Complex) => Err(unsupported("invert", x)),
        Invert => Ok((x, x)),
        Real | Imag if k == Complex => Ok((x, Dtype::F32)),
        Real | Imag => Ok((x, x)),
        Angle if k == Complex => Ok((x, Dtype::F32)),
        Angle => Ok((float_for(x), float_for(x))),
    }
}

/// The dtype both operands are converted to, and the result's dtype, for a binary operation.
fn binary_types(op: Bin, a: Dtype, b: Dtype) -> Result<(Dtype, Dtype)> {
    use Bin::*;
    use Kind::*;
    let p = promote(a, b);
    let k = p.kind();
    let not_complex = |what: &str| {
        if k == Complex {
            Err(Error::unsupported(format!("{what} of complex numbers")))
        } else {
            Ok(())
        }
    };
    match op {
        Add | Mul | Min | Max => Ok((p, p)),
        Sub if k == Bool => Err(Error::dtype(
            "subtracting booleans is not defined (NumPy neither); use logical_xor",
        )),
        Sub => Ok((p, p)),
        Div if matches!(k, Bool | Int | UInt) => Ok((Dtype::F32, Dtype::F32)),
        Div => Ok((p, p)),
        FloorDiv | Rem | Pow if k == Bool => {
            not_complex("")?;
            Ok((Dtype::I8, Dtype::I8))
        }
        FloorDiv | Rem => {
            not_complex(&format!("{op:?}"))?;
            Ok((p, p))
        }
        Pow => Ok((p, p)),
        Arctan2 => {
            not_complex("arctan2")?;
            let f = if k == Float { p } else { float_for(p) };
            Ok((f, f))
        }
        Eq | Ne | Lt | Le | Gt | Ge => Ok((p, Dtype::Bool)),
        And | Or | Xor => Ok((Dtype::Bool, Dtype::Bool)),
        BitAnd | BitOr | BitXor | Shl | Shr => {
            if matches!(k, Float | Complex) || (k == Bool && matches!(op, Shl | Shr)) {
                Err(unsupported(&format!("{op:?}"), p))
            } else {
                Ok((p, p))
            }
        }
        MakeComplex => {
            not_complex("complex(re, im)")?;
            Ok((Dtype::F32, Dtype::C64))
        }
    }
}

impl Typed {
    fn cast(self, dtype: Dtype) -> Typed {
        if self.dtype == dtype {
            return self;
        }
        Typed {
            node: Node::Cast(Box::new(self)),
            dtype,
        }
    }

    fn count(&self) -> usize {
        1 + match &self.node {
            Node::Input(_) | Node::Scalar(_) => 0,
            Node::Cast(a) | Node::Unary(_, a) => a.count(),
            Node::Binary(_, a, b) => a.count() + b.count(),
            Node::Select(a, b, c) => a.count() + b.count() + c.count(),
        }
    }

    /// Renumbers inputs and scalars (after merging two expressions).
    fn shift(&mut self, inputs: &[usize], scalars: usize) {
        match &mut self.node {
            Node::Input(k) => *k = inputs[*k],
            Node::Scalar(k) => *k += scalars,
            Node::Cast(a) | Node::Unary(_, a) => a.shift(inputs, scalars),
            Node::Binary(_, a, b) => {
                a.shift(inputs, scalars);
                b.shift(inputs, scalars);
            }
            Node::Select(a, b, c) => {
                a.shift(inputs, scalars);
                b.shift(inputs, scalars);
                c.shift(inputs, scalars);
            }
        }
    }
}

/// An operand of an elementwise operation.
#[derive(Clone, Copy)]
pub(crate) enum Operand<'a> {
    Array(&'a GpuArray),
    Scalar(Scalar),
}

impl Expr {
    /// The dtype of the expression's value.
    pub(crate) fn dtype(&self) -> Dtype {
        self.root.dtype
    }

    /// The expression of an array: its own pending tree when it has one (fusion), else a leaf.
    pub(crate) fn of(a: &GpuArray) -> Expr {
        if let Some(expr) = &a.data.expr
            && a.is_lazy()
            && a.layout == Layout::contiguous(&expr.shape, 1, Order::C).unwrap_or_default()
        {
            return expr.clone();
        }
        Expr {
            root: Typed {
                node: Node::Input(0),
                dtype: a.dtype,
            },
            inputs: vec![a.clone()],
            scalars: vec![],
            shape: a.shape().to_vec(),
        }
    }

    fn scalar(s: Scalar, dtype: Dtype) -> Expr {
        Expr {
            root: Typed {
                node: Node::Scalar(0),
                dtype,
            },
            inputs: vec![],
            scalars: vec![s.bits(dtype)],
            shape: vec![],
        }
    }

    /// An expression that evaluates `self` first when it has grown too large to fuse more.
    pub(crate) fn bounded(self, gpu: &Gpu, max_inputs: usize) -> Result<Expr> {
        if self.inputs.len() <= max_inputs && self.root.count() <= MAX_NODES {
            return Ok(self);
        }
        let a = lazy_array(gpu, self);
        a.storage()?;
        Ok(Expr::of(&a))
    }

    /// Combines `exprs` over their broadcast shape: inputs concatenated (shared ones once),
    /// each broadcast to the result shape.
    fn merge(gpu: &Gpu, exprs: Vec<Expr>) -> Result<Merged> {
        let mut shape: Vec<usize> = vec![];
        for e in &exprs {
            shape = broadcast_shapes(&shape, &e.shape)?;
        }
        let max_inputs = max_inputs(gpu);
        let mut exprs = exprs;
        // Evaluate the operand with the most inputs until the total fits one kernel.
        loop {
            let total: usize = exprs.iter().map(|e| e.inputs.len()).sum();
            if total <= max_inputs {
                break;
            }
            let (i, _) = exprs
                .iter()
                .enumerate()
                .max_by_key(|(_, e)| e.inputs.len())
                .expect("non-empty");
            let e = exprs.remove(i);
            exprs.insert(i, e.bounded(gpu, 1)?);
        }
        let mut roots = vec![];
        let mut inputs: Vec<GpuArray> = vec![];
        let mut scalars = vec![];
        for e in exprs {
            let mut map = vec![];
            for a in e.inputs {
                let a = a.broadcast_to(&shape)?;
                let same = inputs
                    .iter()
                    .position(|b| std::sync::Arc::ptr_eq(&a.data, &b.data) && a.layout == b.layout);
                map.push(same.unwrap_or_else(|| {
                    inputs.push(a);
                    inputs.len() - 1
                }));
            }
            let mut root = e.root;
            root.shift(&map, scalars.len());
            scalars.extend(e.scalars);
            roots.push(root);
        }
        Ok(Merged {
            roots,
            inputs,
            scalars,
            shape,
        })
    }
}

/// Operands merged into one expression: their roots over shared inputs and scalars.
struct Merged {
    roots: Vec<Typed>,
    inputs: Vec<GpuArray>,
    scalars: Vec<Vec<u32>>,
    shape: Vec<usize>,
}

pub(crate) fn max_inputs(gpu: &Gpu) -> usize {
    // Two bindings are the output and the parameters.
    (gpu.inner.limits.max_storage_buffers_per_shader_stage as usize).clamp(3, 16) - 2
}

/// NumPy's broadcast of two shapes.
pub(crate) fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], k: usize| {
        if k < n - s.len() {
            1
        } else {
            s[k - (n - s.len())]
        }
    };
    (0..n)
        .map(|k| match (get(a, k), get(b, k)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(Error::shape(format!(
                "operands could not be broadcast together with shapes {a:?} {b:?}"
            ))),
        })
        .collect()
}

/// A lazy array computing `expr`.
fn lazy_array(gpu: &Gpu, expr: Expr) -> GpuArray {
    let layout = Layout::contiguous(&expr.shape, 1, Order::C).expect("shape of valid arrays");
    GpuArray {
        gpu: gpu.clone(),
        dtype: expr.root.dtype,
        layout,
        data: std::sync::Arc::new(Data::lazy(expr)),
    }
}

fn check_gpu(a: &Gpu, b: &Gpu) -> Result<()> {
    if std::sync::Arc::ptr_eq(&a.inner, &b.inner) {
        Ok(())
    } else {
        Err(Error::unsupported(
            "operands live on different Gpu contexts",
        ))
    }
}

/// `op(x)` as a lazy array.
pub(crate) fn unary(x: &GpuArray, op: Un) -> Result<GpuArray> {
    let (input, output) = unary_types(op, x.dtype)?;
    let e = Expr::of(x).bounded(&x.gpu, max_inputs(&x.gpu))?;
    let root = Typed {
        node: Node::Unary(op, Box::new(e.root.cast(input))),
        dtype: output,
    };
    Ok(lazy_array(&x.gpu, Expr { root, ..e }))
}

/// The dtype of an operand next to another (weak scalars take the array's dtype).
fn operand_dtype(o: Operand<'_>, other: Operand<'_>) -> Result<Dtype> {
    match (o, other) {
        (Operand::Array(a), _) => Ok(a.dtype),
        (Operand::Scalar(s), Operand::Array(b)) => s.dtype_with(b.dtype),
        (Operand::Scalar(s), Operand::Scalar(_)) => Ok(s.default_dtype()),
    }
}

fn operand_expr(o: Operand<'_>, dtype: Dtype) -> Expr {
    match o {
        Operand::Array(a) => Expr::of(a),
        Operand::Scalar(s) => Expr::scalar(s, dtype),
    }
}

/// `a op b` as a lazy array. At least one operand is an array.
pub(crate) fn binary(a: Operand<'_>, b: Operand<'_>, op: Bin) -> Result<GpuArray> {
    let gpu = match (a, b) {
        (Operand::Array(x), Operand::Array(y)) => {
            check_gpu(&x.gpu, &y.gpu)?;
            &x.gpu
        }
        (Operand::Array(x), _) | (_, Operand::Array(x)) => &x.gpu,
        _ => return Err(Error::unsupported("an operation needs at least one array")),
    };
    let (da, db) = (operand_dtype(a, b)?, operand_dtype(b, a)?);
    let (input, output) = binary_types(op, da, db)?;
    let exprs = vec![operand_expr(a, da), operand_expr(b, db)];
    let Merged {
        mut roots,
        inputs,
        scalars,
        shape,
    } = Expr::merge(gpu, exprs)?;
    let rb = roots.pop().expect("two");
    let ra = roots.pop().expect("two");
    let root = Typed {
        node: Node::Binary(op, Box::new(ra.cast(input)), Box::new(rb.cast(input))),
        dtype: output,
    };
    Ok(lazy_array(
        gpu,
        Expr {
            root,
            inputs,
            scalars,
            shape,
        },
    ))
}

/// `where(cond, x, y)` as a lazy array.
pub(crate) fn select(cond: &GpuArray, x: Operand<'_>, y: Operand<'_>) -> Result<GpuArray> {
    for o in [x, y] {
        if let Operand::Array(a) = o {
            check_gpu(&cond.gpu, &a.gpu)?;
        }
    }
    let (dx, dy) = (operand_dtype(x, y)?, operand_dtype(y, x)?);
    let out = promote(dx, dy);
    let exprs = vec![Expr::of(cond), operand_expr(x, dx), operand_expr(y, dy)];
    let Merged {
        mut roots,
        inputs,
        scalars,
        shape,
    } = Expr::merge(&cond.gpu, exprs)?;
    let ry = roots.pop().expect("three").cast(out);
    let rx = roots.pop().expect("three").cast(out);
    let rc = roots.pop().expect("three").cast(Dtype::Bool);
    let root = Typed {
        node: Node::Select(Box::new(rc), Box::new(rx), Box::new(ry)),
        dtype: out,
    };
    Ok(lazy_array(
        &cond.gpu,
        Expr {
            root,
            inputs,
            scalars,
            shape,
        },
    ))
}

/// `x` converted to `dtype` as a lazy array (fuses with what comes before and after).
pub(crate) fn cast(x: &GpuArray, dtype: Dtype) -> Result<GpuArray> {
    dtype_code(dtype)?;
    let e = Expr::of(x);
    let root = e.root.clone().cast(dtype);
    Ok(lazy_array(&x.gpu, Expr { root, ..e }))
}

// ---------------------------------------------------------------------------------------------
// Code generation.

/// The WGSL type that computes values of `dtype`.
pub(crate) fn wgsl_type(dtype: Dtype) -> &'static str {
    match dtype.kind() {
        Kind::Bool => "bool",
        Kind::Int => "i32",
        Kind::UInt => "u32",
        Kind::Float => "f32",
        Kind::Complex => "vec2<f32>",
    }
}

/// Wraps a computed value back into `dtype`'s range: narrow integers wrap, f16 rounds.
fn norm(dtype: Dtype, x: &str) -> String {
    match dtype {
        Dtype::I8 => format!("(({x}) << 24u) >> 24u"),
        Dtype::I16 => format!("(({x}) << 16u) >> 16u"),
        Dtype::U8 => format!("(({x}) & 0xffu)"),
        Dtype::U16 => format!("(({x}) & 0xffffu)"),
        Dtype::F16 => format!("f16r({x})"),
        _ => x.to_string(),
    }
}

/// WGSL converting `x` of dtype `from` to dtype `to` (NumPy `astype` rules).
pub(crate) fn cast_code(from: Dtype, to: Dtype, x: &str) -> String {
    use Kind::*;
    let (kf, kt) = (from.kind(), to.kind());
    // The value as the float (or complex) it is.
    let as_f32 = || match kf {
        Bool => format!("select(0.0, 1.0, {x})"),
        Int | UInt => format!("f32({x})"),
        Float => x.to_string(),
        Complex => format!("({x}).x"),
    };
    match kt {
        Bool => match kf {
            Bool => x.to_string(),
            Int => format!("({x} != 0)"),
            UInt => format!("({x} != 0u)"),
            Float => format!("!is_zero({x})"),
            Complex => format!("!(is_zero(({x}).x) && is_zero(({x}).y))"),
        },
        Int | UInt => {
            let t = wgsl_type(to);
            let wide = match (kf, kt) {
                (Bool, _) => format!("select({t}(0), {t}(1), {x})"),
                (Int, Int) | (UInt, UInt) => x.to_string(),
                (Int, UInt) => format!("bitcast<u32>({x})"),
                (UInt, Int) => format!("bitcast<i32>({x})"),
                _ => {
                    let f = as_f32();
                    let hi = match to {
                        Dtype::I8 => "127.0",
                        Dtype::U8 => "255.0",
                        Dtype::I16 => "32767.0",
                        Dtype::U16 => "65535.0",
                        Dtype::I32 => "2147483520.0",
                        _ => "4294967040.0",
                    };
                    let lo = match to {
                        Dtype::I8 => "-128.0",
                        Dtype::I16 => "-32768.0",
                        _ => "-2147483648.0",
                    };
                    if kt == Int {
                        format!("f2i({f}, {lo}, {hi})")
                    } else {
                        format!("f2u({f}, {hi})")
                    }
                }
            };
            norm(to, &wide)
        }
        Float => norm(to, &as_f32()),
        Complex => match kf {
            Complex => x.to_string(),
            _ => format!("vec2({}, 0.0)", as_f32()),
        },
    }
}

fn unary_code(op: Un, t: Dtype, out: Dtype, x: &str) -> String {
    use Kind::*;
    use Un::*;
    let k = t.kind();
    // Math functions of a real argument, NaN in → NaN out.
    let f = |name: &str| norm(out, &format!("nanp({x}, {name}({x}))"));
    match op {
        Neg => match k {
            UInt => norm(out, &format!("(0u - {x})")),
            _ => norm(out, &format!("(-{x})")),
        },
        Abs => match k {
            Complex => format!("cabs({x})"),
            Bool | UInt => x.to_string(),
            Int => norm(out, &format!("abs({x})")),
            _ => f("abs"),
        },
        Sign => match k {
            UInt => format!("select(0u, 1u, {x} > 0u)"),
            Int => format!("sign({x})"),
            _ => f("fsign"),
        },
        Sqrt if k == Complex => format!("csqrt({x})"),
        Exp if k == Complex => format!("cexp({x})"),
        Log if k == Complex => format!("clog({x})"),
        Sqrt => f("fsqrt"),
        Exp => f("exp"),
        Exp2 => f("exp2"),
        Log => f("flog"),
        Log2 => f("flog2"),
        Log10 => f("flog10"),
        Log1p => f("flog1p"),
        Expm1 => f("expm1_"),
        Sin => f("sin"),
        Cos => f("cos"),
        Tan => f("tan"),
        Arcsin => f("fasin"),
        Arccos => f("facos"),
        Arctan => f("atan"),
        Sinh => f("fsinh"),
        Cosh => f("cosh"),
        Tanh => f("ftanh"),
        Floor => f("floor"),
        Ceil => f("ceil"),
        Trunc => f("trunc"),
        Round => match k {
            Float => f("fround"),
            _ => x.to_string(),
        },
        Not => format!("!{}", cast_code(t, Dtype::Bool, x)),
        Invert => match k {
            Bool => format!("!{x}"),
            _ => norm(out, &format!("(~{x})")),
        },
        IsNan => match k {
            Float => format!("is_nan({x})"),
            Complex => format!("(is_nan(({x}).x) || is_nan(({x}).y))"),
            _ => "false".into(),
        },
        IsInf => match k {
            Float => format!("is_inf({x})"),
            Complex => format!("(is_inf(({x}).x) || is_inf(({x}).y))"),
            _ => "false".into(),
        },
        IsFinite => match k {
            Float => format!("!(is_nan({x}) || is_inf({x}))"),
            Complex => format!(
                "!(is_nan(({x}).x) || is_inf(({x}).x) || is_nan(({x}).y) || is_inf(({x}).y))"
            ),
            _ => "true".into(),
        },
        Real => match k {
            Complex => format!("({x}).x"),
            _ => x.to_string(),
        },
        Imag => match k {
            Complex => format!("({x}).y"),
            _ => format!("{}(0)", wgsl_type(t)),
        },
        Conj => match k {
            Complex => format!("vec2(({x}).x, -({x}).y)"),
            _ => x.to_string(),
        },
        Angle => match k {
            Complex => format!("atan2(({x}).y, ({x}).x)"),
            _ => norm(out, &format!("atan2(0.0, {x})")),
        },
    }
}

fn binary_code(op: Bin, t: Dtype, out: Dtype, a: &str, b: &str) -> String {
    use Bin::*;
    use Kind::*;
    let k = t.kind();
    let n = |s: String| norm(out, &s);
    match op {
        Add if k == Bool => format!("({a} || {b})"),
        Mul if k == Bool => format!("({a} && {b})"),
        Add => n(format!("({a} + {b})")),
        Sub => n(format!("({a} - {b})")),
        Mul if k == Complex => format!("cmul({a}, {b})"),
        Mul => n(format!("({a} * {b})")),
        Div if k == Complex => format!("cdiv({a}, {b})"),
        Div => n(format!("({a} / {b})")),
        FloorDiv => n(match k {
            Int => format!("idiv({a}, {b})"),
            UInt => format!("udiv({a}, {b})"),
            _ => format!("ffloordiv({a}, {b})"),
        }),
        Rem => n(match k {
            Int => format!("irem({a}, {b})"),
            UInt => format!("urem({a}, {b})"),
            _ => format!("frem({a}, {b})"),
        }),
        Pow => n(match k {
            Int => format!("ipow({a}, {b})"),
            UInt => format!("upow({a}, {b})"),
            Complex => format!("cpow({a}, {b})"),
            _ => format!("fpow({a}, {b})"),
        }),
        Min | Max => {
            let is_min = op == Min;
            match k {
                Bool if is_min => format!("({a} && {b})"),
                Bool => format!("({a} || {b})"),
                Float => n(format!(
                    "{}({a}, {b})",
                    if is_min { "fmin_nan" } else { "fmax_nan" }
                )),
                Complex => {
                    let (x, y) = if is_min { (a, b) } else { (b, a) };
                    format!("select({b}, {a}, cle({x}, {y}))")
                }
                _ => format!("{}({a}, {b})", if is_min { "min" } else { "max" }),
            }
        }
        Arctan2 => n(format!("atan2({a}, {b})")),
        Eq | Ne => {
            let eq = match k {
                Complex => format!("(all({a} == {b}) && !is_nan(({a}).x) && !is_nan(({a}).y))"),
                Float => format!("({a} == {b} && !is_nan({a}))"),
                _ => format!("({a} == {b})"),
            };
            if op == Eq { eq } else { format!("!{eq}") }
        }
        Lt | Le | Gt | Ge => {
            let (x, y) = if matches!(op, Lt | Le) {
                (a, b)
            } else {
                (b, a)
            };
            let strict = matches!(op, Lt | Gt);
            match k {
                Complex => format!("{}({x}, {y})", if strict { "clt" } else { "cle" }),
                Float => format!(
                    "({x} {} {y} && !is_nan({x}) && !is_nan({y}))",
                    if strict { "<" } else { "<=" }
                ),
                Bool => format!(
                    "(select(0u, 1u, {x}) {} select(0u, 1u, {y}))",
                    if strict { "<" } else { "<=" }
                ),
                _ => format!("({x} {} {y})", if strict { "<" } else { "<=" }),
            }
        }
        And => format!("({a} && {b})"),
        Or => format!("({a} || {b})"),
        Xor => format!("({a} != {b})"),
        BitAnd => format!("({a} & {b})"),
        BitOr => format!("({a} | {b})"),
        BitXor if k == Bool => format!("({a} != {b})"),
        BitXor => format!("({a} ^ {b})"),
        Shl => match k {
            Int => n(format!(
                "select({a} << bitcast<u32>({b}), 0, bitcast<u32>({b}) >= 32u)"
            )),
            _ => n(format!("select({a} << {b}, 0u, {b} >= 32u)")),
        },
        Shr => match k {
            Int => format!("({a} >> min(bitcast<u32>({b}), 31u))"),
            _ => format!("select({a} >> {b}, 0u, {b} >= 32u)"),
        },
        MakeComplex => format!("vec2({a}, {b})"),
    }
}

/// WGSL reading element `i` of input `k` (a word array) as its compute type.
fn load_code(dtype: Dtype, k: usize) -> String {
    let word = |shift: &str| format!("in{k}[i >> {shift}]");
    let byte = format!("(({} >> ((i & 3u) * 8u)) & 0xffu)", word("2u"));
    let half = format!("(({} >> ((i & 1u) * 16u)) & 0xffffu)", word("1u"));
    let body = match dtype {
        Dtype::Bool => format!("{byte} != 0u"),
        Dtype::U8 => byte,
        Dtype::I8 => format!("bitcast<i32>({byte} << 24u) >> 24u"),
        Dtype::U16 => half,
        Dtype::I16 => format!("bitcast<i32>({half} << 16u) >> 16u"),
        Dtype::F16 => format!("unpack2x16float({})[i & 1u]", word("1u")),
        Dtype::U32 => format!("in{k}[i]"),
        Dtype::I32 => format!("bitcast<i32>(in{k}[i])"),
        Dtype::F32 => format!("bitcast<f32>(in{k}[i])"),
        _ => format!("vec2(bitcast<f32>(in{k}[2u * i]), bitcast<f32>(in{k}[2u * i + 1u]))"),
    };
    format!(
        "fn load{k}(i: u32) -> {} {{\n    return {body};\n}}\n",
        wgsl_type(dtype)
    )
}

/// WGSL turning a computed value into the bits stored for `dtype` (the low bits of a word for
/// packed types).
fn store_bits(dtype: Dtype, x: &str) -> String {
    match dtype {
        Dtype::Bool => format!("u32({x})"),
        Dtype::I8 => format!("(bitcast<u32>({x}) & 0xffu)"),
        Dtype::I16 => format!("(bitcast<u32>({x}) & 0xffffu)"),
        Dtype::U8 | Dtype::U16 | Dtype::U32 => x.to_string(),
        Dtype::F16 => format!("(pack2x16float(vec2({x}, 0.0)) & 0xffffu)"),
        Dtype::I32 => format!("bitcast<u32>({x})"),
        _ => format!("bitcast<u32>({x})"),
    }
}

struct Codegen<'a> {
    body: String,
    next: usize,
    expr: &'a Expr,
    ndim: usize,
    /// Inputs arrive as arguments `x0, x1, ...` (the contiguous fast path) rather than loads.
    args: bool,
}

impl Codegen<'_> {
    /// Emits `let` statements computing `t`; returns the variable holding its value.
    fn emit(&mut self, t: &Typed) -> String {
        let value = match &t.node {
            Node::Input(k) if self.args => format!("x{k}"),
            Node::Input(k) => format!("load{k}(at{k})"),
            Node::Scalar(k) => {
                // Scalars follow shape and (offset, strides) of every input in the parameters.
                let base = 4 + self.ndim + self.expr.inputs.len() * (self.ndim + 1);
                let at: usize = base + self.expr.scalars[..*k].iter().map(Vec::len).sum::<usize>();
                let w = |i: usize| format!("params.dims[{}]", at - 4 + i);
                match t.dtype.kind() {
                    Kind::Bool => format!("{} != 0u", w(0)),
                    Kind::Int => format!("bitcast<i32>({})", w(0)),
                    Kind::UInt => w(0),
                    Kind::Float => format!("bitcast<f32>({})", w(0)),
                    Kind::Complex => {
                        format!("vec2(bitcast<f32>({}), bitcast<f32>({}))", w(0), w(1))
                    }
                }
            }
            Node::Cast(a) => {
                let x = self.emit(a);
                cast_code(a.dtype, t.dtype, &x)
            }
            Node::Unary(op, a) => {
                let x = self.emit(a);
                unary_code(*op, a.dtype, t.dtype, &x)
            }
            Node::Binary(op, a, b) => {
                let x = self.emit(a);
                let y = self.emit(b);
                binary_code(*op, a.dtype, t.dtype, &x, &y)
            }
            Node::Select(c, a, b) => {
                let c = self.emit(c);
                let x = self.emit(a);
                let y = self.emit(b);
                format!("select({y}, {x}, {c})")
            }
        };
        let name = format!("v{}", self.next);
        self.next += 1;
        let _ = writeln!(
            self.body,
            "    let {name}: {} = {value};",
            wgsl_type(t.dtype)
        );
        name
    }
}

/// WGSL shared by every kernel over `expr`: the prelude, the parameters, the input bindings
/// (0..k) with their loads, the output binding (k), the parameters binding (k + 1), and
/// `fn value_nd(i0, i1, ...)`: the expression at one multi-index of its shape; or with `flat`,
/// `fn value_flat(e: u32)`: the expression at flat (C-order) index `e` of inputs that are all
/// C-contiguous over the expression's shape, read at `offset + e` with no per-dimension index
/// arithmetic.
///
/// Parameters: `[n, first, groups_x, ndim, shape[ndim], (offset, strides[ndim]) per input,
/// scalar words...]`, then whatever the kernel's own entry point needs, from word
/// [`extra_words`].
pub(crate) fn expression_code_with(expr: &Expr, flat: bool) -> String {
    let ndim = expr.shape.len();
    let k = expr.inputs.len();
    let mut s = bindings(expr, "u32", "u32");
    for (i, a) in expr.inputs.iter().enumerate() {
        s += &load_code(a.dtype, i);
    }
    let mut g = Codegen {
        body: String::new(),
        next: 0,
        expr,
        ndim,
        args: false,
    };
    let mut head = String::new();
    for i in 0..k {
        let base = ndim + i * (ndim + 1);
        let mut at = format!("params.dims[{base}]");
        if flat {
            at += " + e";
        } else {
            for d in 0..ndim {
                let _ = write!(at, " + i{d} * params.dims[{}]", base + 1 + d);
            }
        }
        let _ = writeln!(head, "    let at{i} = {at};");
    }
    let result = g.emit(&expr.root);
    let (name, args) = if flat {
        ("value_flat", vec!["e: u32".to_string()])
    } else {
        (
            "value_nd",
            (0..ndim).map(|d| format!("i{d}: u32")).collect(),
        )
    };
    let _ = write!(
        s,
        "fn {name}({}) -> {} {{\n{head}{}    return {result};\n}}\n\n",
        args.join(", "),
        wgsl_type(expr.root.dtype),
        g.body
    );
    s
}

/// The parameter struct and the bindings of a kernel over `expr`: its inputs (0..k) as arrays
/// of `word`, the output (k) as an array of `out_word`, and the parameters (k + 1).
pub(crate) fn bindings(expr: &Expr, word: &str, out_word: &str) -> String {
    let k = expr.inputs.len();
    let mut s = String::from(
        "\nstruct Params {\n    n: u32,\n    first: u32,\n    groups_x: u32,\n    ndim: u32,\n    dims: array<u32>,\n}\n\n",
    );
    for i in 0..k {
        let _ = writeln!(
            s,
            "@group(0) @binding({i}) var<storage, read> in{i}: array<{word}>;"
        );
    }
    let _ = writeln!(
        s,
        "@group(0) @binding({k}) var<storage, read_write> out: array<{out_word}>;"
    );
    let _ = writeln!(
        s,
        "@group(0) @binding({}) var<storage, read> params: Params;\n",
        k + 1
    );
    s
}

/// Index into `params.dims` of the first word after the expression's own parameters.
pub(crate) fn extra_words(expr: &Expr) -> usize {
    let ndim = expr.shape.len();
    ndim + expr.inputs.len() * (ndim + 1) + expr.scalars.iter().map(Vec::len).sum::<usize>()
}

/// Puts the helpers `code` needs in front of it.
pub(crate) fn with_prelude(code: String) -> String {
    prelude_for(&code) + &code
}

/// Whether `expr` can run four elements per invocation with 16-byte loads and stores: every
/// input and the result are 32-bit, and every input is C-contiguous at an offset that is a
/// multiple of 4 elements (so no index arithmetic is needed either).
fn is_fast(expr: &Expr) -> bool {
    expr.root.dtype.itemsize() == 4
        && expr.inputs.iter().all(|a| {
            a.dtype.itemsize() == 4 && a.layout.is_c_contiguous(1) && a.layout.offset % 4 == 0
        })
}

/// Emits `t` over four lanes at once as `vec4` WGSL, for the operations whose vector form is
/// plain WGSL arithmetic; `None` for any other operation (the kernel then evaluates the lanes
/// one by one). Inputs are `x0, x1, ...` as `vec4`s, scalars are splatted.
fn emit4(t: &Typed, expr: &Expr, ndim: usize, out: &mut Emit4) -> Option<String> {
    let ty = match t.dtype {
        Dtype::F32 => "vec4<f32>",
        Dtype::I32 => "vec4<i32>",
        Dtype::U32 => "vec4<u32>",
        _ => return None,
    };
    let float = t.dtype == Dtype::F32;
    let value = match &t.node {
        Node::Input(k) => format!("x{k}"),
        Node::Scalar(k) => {
            let at = ndim
                + expr.inputs.len() * (ndim + 1)
                + expr.scalars[..*k].iter().map(Vec::len).sum::<usize>();
            let scalar = match t.dtype {
                Dtype::F32 => format!("bitcast<f32>(params.dims[{at}])"),
                Dtype::I32 => format!("bitcast<i32>(params.dims[{at}])"),
                _ => format!("params.dims[{at}]"),
            };
            // Read once per invocation, before its loop, rather than once per vector.
            let name = format!("s{k}");
            if !out.hoisted.contains(&format!("let {name}:")) {
                let _ = writeln!(out.hoisted, "    let {name}: {ty} = {ty}({scalar});");
            }
            return Some(name);
        }
        Node::Unary(op, a) if a.dtype == t.dtype => {
            let x = emit4(a, expr, ndim, out)?;
            match op {
                Un::Neg if t.dtype != Dtype::U32 => format!("(-{x})"),
                // abs keeps NaN a NaN: it only clears the sign bit.
                Un::Abs if t.dtype != Dtype::U32 => format!("abs({x})"),
                _ => return None,
            }
        }
        Node::Binary(op, a, b) if a.dtype == t.dtype && b.dtype == t.dtype => {
            let x = emit4(a, expr, ndim, out)?;
            let y = emit4(b, expr, ndim, out)?;
            let nan = |v: &str| {
                format!("((bitcast<vec4<u32>>({v}) & vec4(0x7fffffffu)) > vec4(0x7f800000u))")
            };
            match op {
                Bin::Add => format!("({x} + {y})"),
                Bin::Sub => format!("({x} - {y})"),
                Bin::Mul => format!("({x} * {y})"),
                Bin::Div if float => format!("({x} / {y})"),
                // NumPy's minimum/maximum: NaN in either operand gives NaN.
                Bin::Min if float => format!(
                    "select(select(min({x}, {y}), {y}, {}), {x}, {})",
                    nan(&y),
                    nan(&x)
                ),
                Bin::Max if float => format!(
                    "select(select(max({x}, {y}), {y}, {}), {x}, {})",
                    nan(&y),
                    nan(&x)
                ),
                Bin::Min => format!("min({x}, {y})"),
                Bin::Max => format!("max({x}, {y})"),
                _ => return None,
            }
        }
        _ => return None,
    };
    let name = format!("q{}", out.next);
    out.next += 1;
    let _ = writeln!(out.body, "            let {name}: {ty} = {value};");
    Some(name)
}

/// What [`emit4`] writes: the statements computing one vector (inside the kernel's loop), the
/// scalar splats they use (before the loop), and the next free `q` variable number.
#[derive(Default)]
struct Emit4 {
    body: String,
    hoisted: String,
    next: usize,
}

/// Vectors of four elements each invocation of the fast-path kernel computes. One per
/// invocation left a CPU driver (lavapipe) paying its per-invocation cost (indices, bounds,
/// parameter loads) once per 16 bytes; four amortise it. The vectors are a workgroup's width
/// apart, so that on a GPU neighbouring invocations still touch neighbouring words.
const FAST_UNITS: u32 = 4;

/// WGSL computing an expression on one `vec4<u32>` word `w0, w1, ...` of each input: four
/// consecutive elements of inputs that are 32-bit and C-contiguous at offsets that are
/// multiples of 4 (as [`is_fast`] requires of an elementwise kernel).
pub(crate) struct Vector4 {
    /// Functions the statements call (module scope).
    pub fns: String,
    /// Statements run once per invocation, before its loop (scalar splats).
    pub hoisted: String,
    /// Statements computing `v4: vec4<T>`, `T` the expression's WGSL type.
    pub body: String,
}

/// [`Vector4`] for `expr`, whose value is not complex. When every operation has a vector form
/// ([`emit4`]) the four lanes are computed as one vector; otherwise one by one.
pub(crate) fn vector4_code(expr: &Expr) -> Vector4 {
    let ndim = expr.shape.len();
    let ty = wgsl_type(expr.root.dtype);
    // Each input's words as its type: the whole vector, or lane j.
    let as_type = |i: usize, a: &GpuArray, lane: &str, t: &str| match a.dtype.kind() {
        Kind::Float => format!("bitcast<{}>(w{i}{lane})", t.replace('T', "f32")),
        Kind::Int => format!("bitcast<{}>(w{i}{lane})", t.replace('T', "i32")),
        _ => format!("w{i}{lane}"),
    };
    let mut v4 = Emit4::default();
    if let Some(r4) = emit4(&expr.root, expr, ndim, &mut v4) {
        let mut body = String::new();
        for (i, a) in expr.inputs.iter().enumerate() {
            let _ = writeln!(
                body,
                "            let x{i} = {};",
                as_type(i, a, "", "vec4<T>")
            );
        }
        body += &v4.body;
        let _ = writeln!(body, "            let v4 = {r4};");
        return Vector4 {
            fns: String::new(),
            hoisted: v4.hoisted,
            body,
        };
    }
    let mut g = Codegen {
        body: String::new(),
        next: 0,
        expr,
        ndim,
        args: true,
    };
    let result = g.emit(&expr.root);
    let args: Vec<String> = expr
        .inputs
        .iter()
        .enumerate()
        .map(|(i, a)| format!("x{i}: {}", wgsl_type(a.dtype)))
        .collect();
    let fns = format!(
        "fn value_fast({}) -> {ty} {{\n{}    return {result};\n}}\n\n",
        args.join(", "),
        g.body
    );
    let call: Vec<String> = expr
        .inputs
        .iter()
        .enumerate()
        .map(|(i, a)| as_type(i, a, "[j]", "T"))
        .collect();
    // Every lane, also past the end of a partial last vector: see `fast_source`.
    let body = format!(
        "            var v4: vec4<{ty}>;\n            for (var j = 0u; j < 4u; j++) {{\n                v4[j] = value_fast({});\n            }}\n",
        call.join(", ")
    );
    Vector4 {
        fns,
        hoisted: String::new(),
        body,
    }
}

/// The fast-path kernel (see [`is_fast`]): a workgroup computes [`FAST_UNITS`] · 256 vectors
/// of four elements of its chunk, invocation `lid` the vectors `lid`, `lid + 256`, ..., each from
/// one `vec4<u32>` of each input ([`vector4_code`]).
///
/// Whole vectors only, with no scalar tail: a CPU driver runs a tail's code under a mask in
/// every invocation, which halved this kernel's speed on lavapipe. The lanes of a partial last
/// vector past the end compute on whatever follows the inputs' elements and land in the
/// output's padding, which no array reads: buffers come in whole 256-byte blocks and are bound
/// in whole 16-byte words.
fn fast_source(expr: &Expr) -> String {
    let v = vector4_code(expr);
    let mut s = bindings(expr, "vec4<u32>", "vec4<u32>");
    s += &v.fns;
    s += "@compute @workgroup_size(256)\nfn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {\n";
    let _ = writeln!(
        s,
        "    let base = (wg.y * params.groups_x + wg.x) * {}u + lid;",
        256 * FAST_UNITS
    );
    s += "    let units = (params.n + 3u) >> 2u;\n";
    s += &vector_offsets(expr);
    s += &v.hoisted;
    let _ = writeln!(
        s,
        "    for (var k = 0u; k < {FAST_UNITS}u; k++) {{\n        let unit = base + k * 256u;\n        if unit < units {{"
    );
    for i in 0..expr.inputs.len() {
        let _ = writeln!(s, "            let w{i} = in{i}[o{i} + unit];");
    }
    s += &v.body;
    s += "            out[unit] = bitcast<vec4<u32>>(v4);\n        }\n    }\n}\n";
    with_prelude(s)
}

/// `let o{i} = ...;`: the word of each input's element [0, ...] in its window (the input's
/// offset at `params.dims[ndim + i·(ndim + 1)]`, a multiple of 4, see [`is_fast`]) plus the
/// chunk's first element (a multiple of 256).
fn vector_offsets(expr: &Expr) -> String {
    let ndim = expr.shape.len();
    let mut s = String::new();
    for i in 0..expr.inputs.len() {
        let base = ndim + i * (ndim + 1);
        let _ = writeln!(
            s,
            "    let o{i} = (params.dims[{base}] + params.first) >> 2u;"
        );
    }
    s
}

/// The WGSL source of the elementwise kernel computing `expr`: it depends on the structure only.
fn source(expr: &Expr) -> String {
    if is_fast(expr) {
        return fast_source(expr);
    }
    let ndim = expr.shape.len();
    let out = expr.root.dtype;
    // C-contiguous inputs are read at their offset + e (flat index e); others at the
    // multi-index, found by a division per dimension once per invocation and then stepped.
    let flat = expr.inputs.iter().all(|a| a.layout.is_c_contiguous(1));
    let mut s = expression_code_with(expr, flat);
    s += "@compute @workgroup_size(256)\nfn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {\n";
    s += "    let unit = (wg.y * params.groups_x + wg.x) * 256u + lid;\n";
    let index: Vec<String> = (0..ndim).map(|d| format!("i{d}")).collect();
    let value = if flat {
        "value_flat(params.first + k)".to_string()
    } else {
        format!("value_nd({})", index.join(", "))
    };
    // Invocation `unit` writes words unit·RUN_WORDS.. of the chunk, `per_word` elements each
    // (complex values: RUN_WORDS of them, two words each).
    let complex = out == Dtype::C64;
    let per_word = if complex { 1 } else { 4 / out.itemsize() };
    let bits = out.itemsize() * 8;
    let _ = writeln!(
        s,
        "    let first = unit * {}u;",
        RUN_WORDS as usize * per_word
    );
    s += "    if first >= params.n {\n        return;\n    }\n";
    s += &multi_index(ndim, flat, "params.first + first");
    let store = if complex {
        format!(
            "let v = {value};\n                out[2u * k] = bitcast<u32>(v.x);\n                out[2u * k + 1u] = bitcast<u32>(v.y);"
        )
    } else {
        format!("word |= {} << (j * {bits}u);", store_bits(out, &value))
    };
    let _ = writeln!(
        s,
        "    for (var q = 0u; q < {RUN_WORDS}u; q++) {{\n        var word = 0u;\n        for (var j = 0u; j < {per_word}u; j++) {{\n            let k = first + q * {per_word}u + j;\n            if k < params.n {{\n                {store}\n            }}"
    );
    if !flat && ndim > 0 {
        // The next element's multi-index: the last index steps, carrying into the ones before.
        let mut step = String::new();
        for d in (0..ndim).rev() {
            let pad = "    ".repeat(3 + (ndim - 1 - d));
            let _ = writeln!(step, "{pad}i{d} += 1u;");
            if d > 0 {
                let _ = writeln!(
                    step,
                    "{pad}if i{d} == params.dims[{d}] {{\n{pad}    i{d} = 0u;"
                );
            }
        }
        for d in 1..ndim {
            let _ = writeln!(step, "{}}}", "    ".repeat(3 + (ndim - 1 - d)));
        }
        s += &step;
    }
    s += "        }\n";
    if !complex {
        let _ = writeln!(
            s,
            "        if first + q * {per_word}u < params.n {{\n            out[unit * {RUN_WORDS}u + q] = word;\n        }}"
        );
    }
    s += "    }\n}\n";
    with_prelude(s)
}

/// Words each invocation of the general elementwise kernel writes: one left a CPU driver paying
/// the per-invocation cost (the divisions that find a strided input's multi-index above all)
/// for every word.
const RUN_WORDS: u32 = 4;

/// `var i0 = ...; var i1 = ...;`: the multi-index of flat element `e` (C order over
/// `params.dims[..ndim]`), unless the inputs are read `flat`.
fn multi_index(ndim: usize, flat: bool, e: &str) -> String {
    if flat {
        return String::new();
    }
    let mut s = format!("    var rem = {e};\n");
    for d in (0..ndim).rev() {
        let _ = writeln!(
            s,
            "    var i{d} = rem % params.dims[{d}];\n    rem /= params.dims[{d}];"
        );
    }
    s
}

/// Computes `expr` into a new C-contiguous buffer.
pub(crate) fn evaluate(gpu: &Gpu, expr: &Expr) -> Result<PooledBuffer> {
    let src = source(expr);
    let pipeline = gpu.generated_pipeline(&src)?;
    let storages = expr
        .inputs
        .iter()
        .map(|a| a.storage())
        .collect::<Result<Vec<_>>>()?;
    let inputs: Vec<Input<'_>> = expr
        .inputs
        .iter()
        .zip(&storages)
        .map(|(a, s)| Input {
            buffer: s.buffer(),
            layout: &a.layout,
            itemsize: a.dtype.itemsize(),
        })
        .collect();
    let scalars: Vec<u32> = expr.scalars.concat();
    // The fast path writes FAST_UNITS vectors of 4 elements per invocation, the general
    // kernel RUN_WORDS words (RUN_WORDS complex values).
    let per = if is_fast(expr) {
        4 * FAST_UNITS as u64
    } else if expr.root.dtype == Dtype::C64 {
        RUN_WORDS as u64
    } else {
        kernels::elements_per_invocation(expr.root.dtype) * RUN_WORDS as u64
    };
    let result = kernels::elementwise(
        gpu,
        &pipeline,
        &inputs,
        &scalars,
        &expr.shape,
        expr.root.dtype,
        per,
    )?;
    Ok(result.into_buffer())
}
