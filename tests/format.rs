//! Tests of `gpuarray::view::format`: a reference table generated from Python's `struct` and
//! NumPy (tests/data/gen_format_table.py), error messages, and round-trip properties.

use gpuarray::{ByteOrder, Code, Dtype, Error, Format, ItemKind};
use proptest::prelude::*;

const TABLE: &str = include_str!("data/format_table.tsv");

/// (position, reason) of a format error.
fn error_of(input: &str) -> (usize, String) {
    match Format::parse(input) {
        Ok(f) => panic!("{input:?} parsed as {f:?}"),
        Err(Error::Format {
            input: echoed,
            pos,
            reason,
        }) => {
            assert_eq!(echoed, input);
            (pos, reason)
        }
        Err(other) => panic!("{input:?}: wrong error {other:?}"),
    }
}

#[test]
fn reference_table() {
    let mut rows = 0;
    let (mut valid, mut invalid) = (0, 0);
    let mut failures = Vec::new();
    for (lineno, line) in TABLE.lines().enumerate() {
        if line.starts_with("# ") || line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 3, "line {}: {line:?}", lineno + 1);
        let (fmt, expected, source) = (cols[0], cols[1], cols[2]);
        rows += 1;
        let got = Format::parse(fmt);
        if expected == "error" {
            invalid += 1;
            if let Ok(f) = got {
                failures.push(format!(
                    "{fmt:?} ({source}): expected an error, parsed as {f} (itemsize {})",
                    f.itemsize()
                ));
            }
            continue;
        }
        valid += 1;
        let expected: usize = expected.parse().expect("itemsize column");
        match got {
            Ok(f) => {
                if f.itemsize() != expected {
                    failures.push(format!(
                        "{fmt:?} ({source}): itemsize {} expected {expected}",
                        f.itemsize()
                    ));
                }
                // The canonical form must describe the same layout.
                match Format::parse(&f.to_string()) {
                    Ok(g) if g == f => {}
                    other => failures.push(format!("{fmt:?}: {f} reparses as {other:?}")),
                }
            }
            Err(e) => failures.push(format!("{fmt:?} ({source}): {e}")),
        }
    }
    assert!(
        valid >= 60 && invalid >= 15,
        "{valid} valid, {invalid} invalid rows"
    );
    assert!(
        failures.is_empty(),
        "{} of {rows} rows fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn error_positions_and_reasons() {
    let nested_65 = "T{".repeat(65) + &"}".repeat(65);
    let nested_64_open = "T{".repeat(64);
    let cases: &[(&str, usize, &str)] = &[
        ("y", 0, "unknown format code 'y'"),
        ("3i4y", 3, "unknown format code 'y'"),
        ("<g", 1, "unknown format code 'g'"),
        ("O", 0, "unknown format code 'O'"),
        ("^i", 0, "unknown format code '^'"),
        ("i é", 2, "unknown format code 'é'"),
        ("T{i", 0, "unterminated 'T{'"),
        ("ci T{i T{c}", 3, "unterminated 'T{'"),
        ("T{<", 0, "unterminated 'T{'"),
        ("(2,3", 0, "unterminated '('"),
        ("i (2, 3 ", 2, "unterminated '('"),
        ("(2,3f", 4, "unexpected 'f' in sub-array shape"),
        ("(2,)f", 3, "missing dimension in sub-array shape"),
        ("(,2)f", 1, "missing dimension in sub-array shape"),
        ("()f", 1, "empty sub-array shape"),
        ("(2)", 0, "sub-array shape with no code after it"),
        ("i(2)<", 1, "sub-array shape with no code after it"),
        ("3", 0, "repeat count with no code after it"),
        ("i 12 h", 2, "repeat count with no code after it"),
        ("2(3)f", 0, "repeat count with no code after it"),
        ("T{3}", 2, "repeat count with no code after it"),
        ("i:abc", 1, "field name without its closing ':'"),
        ("T{i:a}", 3, "field name without its closing ':'"),
        ("i::", 1, "empty field name"),
        ("i:a:i:a:", 5, "duplicate field name \"a\""),
        (":a:", 0, "field name with no item before it"),
        ("<n", 1, "'n' is only allowed in native '@' mode"),
        ("=N", 1, "'N' is only allowed in native '@' mode"),
        (">i P", 3, "'P' is only allowed in native '@' mode"),
        ("T{<i}n", 5, "'n' is only allowed in native '@' mode"),
        ("Z", 0, "'Z' must be followed by 'f' or 'd'"),
        ("Zi", 0, "'Z' must be followed by 'f' or 'd'"),
        ("3Zg", 1, "'Z' must be followed by 'f' or 'd'"),
        ("T", 0, "'T' must be followed by '{'"),
        ("T {i}", 0, "'T' must be followed by '{'"),
        ("{i}", 0, "'{' without 'T' before it"),
        ("}", 0, "unmatched '}'"),
        ("i}", 1, "unmatched '}'"),
        ("i)", 1, "unmatched ')'"),
        ("i,h", 1, "',' outside a sub-array shape"),
        ("<>i", 1, "two byte-order prefixes in a row"),
        ("< @i", 2, "two byte-order prefixes in a row"),
        ("T{i<}", 3, "byte-order prefix with no item after it"),
        ("99999999999999999999i", 0, "count too large"),
        ("c9223372036854775808x", 1, "count too large"),
        (
            "(99999999999999999999)d",
            1,
            "sub-array dimension too large",
        ),
        ("c(4611686018427387904)d", 1, "format too large"),
        (
            "c 4611686018427387903x 4611686018427387903x 2x",
            44,
            "format too large",
        ),
        (
            "T{4611686018427387904x 4611686018427387904x}",
            23,
            "format too large",
        ),
        ("cT{9223372036854775807x}", 1, "format too large"),
        ("T{d 9223372036854775799x}", 24, "format too large"),
        (&nested_65, 128, "structs nested too deep"),
        (&nested_64_open, 126, "unterminated 'T{'"),
    ];
    let mut failures = Vec::new();
    for &(input, pos, reason) in cases {
        let (got_pos, got_reason) = error_of(input);
        if got_pos != pos || !got_reason.starts_with(reason) {
            failures.push(format!(
                "{input:?}: got ({got_pos}, {got_reason:?}), expected ({pos}, {reason:?})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn limits() {
    // Exactly isize::MAX bytes is allowed; 64 levels of nesting are allowed.
    let f = Format::parse("c 4611686018427387903x 4611686018427387903x").unwrap();
    assert_eq!(f.itemsize(), isize::MAX as usize);
    let f = Format::parse("T{d 9223372036854775791x}").unwrap();
    assert_eq!(f.itemsize(), isize::MAX as usize - 7);
    let deep = "T{".repeat(64) + "i" + &"}".repeat(64);
    let f = Format::parse(&deep).unwrap();
    assert_eq!(f.itemsize(), 4);
    assert_eq!(Format::parse(&f.to_string()).unwrap(), f);
    // A zero dimension makes the item empty, however large the others are.
    let f = Format::parse("(0,9223372036854775807)d").unwrap();
    assert_eq!(f.itemsize(), 0);
    assert_eq!(Format::parse("c0i").unwrap().itemsize(), 4);
}

#[test]
fn error_display_names_input_position_and_reason() {
    let e = Format::parse("ii:x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad format string \"ii:x\" at byte 2: field name without its closing ':'"
    );
}

#[test]
fn items_and_fields() {
    let f = Format::parse("<T{(2,3)f:m: Zd:z:} 3x @i:n:").unwrap();
    let items = f.items();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].order, ByteOrder::Little);
    let ItemKind::Struct(inner) = &items[0].kind else {
        panic!("not a struct")
    };
    assert_eq!(inner.items()[0].shape, vec![2, 3]);
    assert_eq!(inner.items()[0].name.as_deref(), Some("m"));
    assert_eq!(inner.items()[1].kind, ItemKind::Code(Code::C128));
    assert_eq!(items[1].count, 3);
    assert_eq!(items[1].order, ByteOrder::Little);
    assert_eq!(items[2].order, ByteOrder::Native);
    assert_eq!(items[2].name.as_deref(), Some("n"));
    assert_eq!(f.offsets(), vec![0, 40, 44]);
    assert_eq!(f.itemsize(), 48);
    assert_eq!(f.alignment(), 4);
    // Names may hold anything but ':'.
    let f = Format::parse("i: a }{( é:").unwrap();
    assert_eq!(f.items()[0].name.as_deref(), Some(" a }{( é"));
    assert_eq!(Format::parse(&f.to_string()).unwrap(), f);
}

#[test]
fn byte_order_is_stream_state() {
    // A prefix inside T{} stays in force after its '}'.
    let f = Format::parse("T{<i}c").unwrap();
    assert_eq!(f.items()[1].order, ByteOrder::Little);
    assert_eq!(f.to_string(), "T{<i}c");
    let f = Format::parse("T{<i}@c").unwrap();
    assert_eq!(f.to_string(), "T{<i}@c");
    // '!' is '>'.
    assert_eq!(Format::parse("!h").unwrap(), Format::parse(">h").unwrap());
    // The prefix may come before or after a shape.
    assert_eq!(
        Format::parse("<(2)h").unwrap(),
        Format::parse("(2)<h").unwrap()
    );
    assert_eq!(Format::parse("<(2)h").unwrap().to_string(), "(2)<h");
    // A trailing prefix at the top level changes nothing; "<" alone is 0 bytes as in struct.
    assert_eq!(Format::parse("i<").unwrap(), Format::parse("i").unwrap());
    assert_eq!(Format::parse("<").unwrap().itemsize(), 0);
    assert_eq!(Format::parse("").unwrap().itemsize(), 0);
    assert_eq!(Format::parse("  ").unwrap().items().len(), 0);
}

#[test]
fn alignment() {
    let cases = [
        ("c", 1),
        ("ci", 4),
        ("<ci", 1),
        ("cd", 8),
        ("Zf", 4),
        ("Zd", 8),
        ("<Zd", 1),
        ("T{ch}", 2),
        ("<T{@q}", 8),
        ("c0q", 8),
        ("", 1),
    ];
    for (fmt, align) in cases {
        assert_eq!(Format::parse(fmt).unwrap().alignment(), align, "{fmt:?}");
    }
}

#[test]
fn dtypes() {
    let cases: &[(&str, Option<Dtype>)] = &[
        ("?", Some(Dtype::Bool)),
        ("b", Some(Dtype::I8)),
        ("B", Some(Dtype::U8)),
        ("h", Some(Dtype::I16)),
        (">H", Some(Dtype::U16)),
        ("i", Some(Dtype::I32)),
        ("<I", Some(Dtype::U32)),
        ("q", Some(Dtype::I64)),
        ("!Q", Some(Dtype::U64)),
        ("e", Some(Dtype::F16)),
        ("f", Some(Dtype::F32)),
        ("d:x:", Some(Dtype::F64)),
        ("Zf", Some(Dtype::C64)),
        ("<Zd", Some(Dtype::C128)),
        ("l", Some(Dtype::I64)),
        ("L", Some(Dtype::U64)),
        ("<l", Some(Dtype::I32)),
        ("=L", Some(Dtype::U32)),
        ("n", Some(Dtype::I64)),
        ("N", Some(Dtype::U64)),
        ("1f", Some(Dtype::F32)),
        ("c", None),
        ("s", None),
        ("3s", None),
        ("p", None),
        ("x", None),
        ("P", None),
        ("2f", None),
        ("(1)f", None),
        ("ff", None),
        ("T{f}", None),
        ("", None),
    ];
    for &(fmt, dtype) in cases {
        assert_eq!(Format::parse(fmt).unwrap().dtype(), dtype, "{fmt:?}");
    }
    for dtype in Dtype::ALL {
        for order in [
            ByteOrder::Native,
            ByteOrder::NativeStandard,
            ByteOrder::Little,
            ByteOrder::Big,
        ] {
            let f = Format::from_dtype_order(dtype, order);
            assert_eq!(f.dtype(), Some(dtype));
            assert_eq!(f.itemsize(), dtype.itemsize());
            assert_eq!(Format::parse(&f.to_string()).unwrap(), f);
        }
        let f = Format::from_dtype(dtype);
        assert_eq!(f.to_string(), dtype.format());
        assert_eq!(f.alignment(), dtype.alignment());
        assert_eq!(dtype.format().parse::<Format>().unwrap(), f);
    }
}

#[test]
fn native_order() {
    let little = cfg!(target_endian = "little");
    let cases = [
        ("i", true),
        ("=i", true),
        ("<i", little),
        (">i", !little),
        ("!i", !little),
        ("i>h", !little),
        ("T{i T{>h}}", !little),
        (">T{<i}", little),
        ("", true),
    ];
    for (fmt, native) in cases {
        assert_eq!(
            Format::parse(fmt).unwrap().is_native_order(),
            native,
            "{fmt:?}"
        );
    }
}

#[test]
fn display_canonical_form() {
    let cases = [
        ("", ""),
        ("@i", "i"),
        ("! 2h (2, 3) 1d :x: = T{ i } l", ">2h(2,3)d:x:=T{i}l"),
        ("1s 0s 3p", "s0s3p"),
        ("<i<i>i", "<ii>i"),
        ("T{<i}c", "T{<i}c"),
        ("<T{}i", "<T{}i"),
        ("(2)<3T{@c:a:}:s:", "(2)<3T{@c:a:}:s:"),
        ("Zf Zd", "ZfZd"),
    ];
    for (fmt, canonical) in cases {
        let f = Format::parse(fmt).unwrap();
        assert_eq!(f.to_string(), canonical, "{fmt:?}");
        assert_eq!(Format::parse(canonical).unwrap(), f, "{fmt:?}");
    }
}

// ---- properties ----

const CODES: &[&str] = &[
    "x", "c", "b", "B", "?", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "e", "f", "d", "s",
    "p", "P", "Zf", "Zd",
];
const PREFIXES: &[char] = &['@', '=', '<', '>', '!'];
const NAMES: &[&str] = &["a", "field", " sp ace ", "}{()", "é", "T{x}"];

/// One item of a random format over the grammar.
#[derive(Clone, Debug)]
struct GenItem {
    prefix: Option<(char, bool)>, // (prefix, after the shape)
    shape: Option<Vec<usize>>,
    count: Option<usize>,
    kind: GenKind,
    name: Option<usize>,
    space: bool,
}

#[derive(Clone, Debug)]
enum GenKind {
    Code(&'static str),
    Struct(Vec<GenItem>),
}

fn gen_kind() -> impl Strategy<Value = GenKind> {
    let leaf = prop::sample::select(CODES).prop_map(GenKind::Code);
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            3 => prop::sample::select(CODES).prop_map(GenKind::Code),
            1 => prop::collection::vec(gen_item(inner), 0..5).prop_map(GenKind::Struct),
        ]
    })
}

fn gen_item(kind: impl Strategy<Value = GenKind>) -> impl Strategy<Value = GenItem> {
    (
        prop::option::weighted(0.4, (prop::sample::select(PREFIXES), any::<bool>())),
        prop::option::weighted(0.2, prop::collection::vec(0usize..4, 1..4)),
        prop::option::weighted(0.4, 0usize..5),
        kind,
        prop::option::weighted(0.3, 0..NAMES.len()),
        any::<bool>(),
    )
        .prop_map(|(prefix, shape, count, kind, name, space)| GenItem {
            prefix,
            shape,
            count,
            kind,
            name,
            space,
        })
}

/// Renders items; names get a unique suffix from `next_name`.
fn render(items: &[GenItem], out: &mut String, next_name: &mut usize) {
    for item in items {
        let mut prefix = item.prefix;
        if matches!(item.kind, GenKind::Code("n" | "N" | "P")) {
            prefix = Some(('@', false)); // native-only codes
        }
        if let Some((p, false)) = prefix {
            out.push(p);
        }
        if let Some(shape) = &item.shape {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            out.push_str(&format!(
                "({})",
                dims.join(if item.space { ", " } else { "," })
            ));
        }
        if let Some((p, true)) = prefix {
            out.push(p);
        }
        if let Some(n) = item.count {
            out.push_str(&n.to_string());
        }
        match &item.kind {
            GenKind::Code(c) => out.push_str(c),
            GenKind::Struct(inner) => {
                out.push_str("T{");
                render(inner, out, next_name);
                out.push('}');
            }
        }
        if let Some(n) = item.name {
            out.push_str(&format!(":{}{}:", NAMES[n], *next_name));
            *next_name += 1;
        }
        if item.space {
            out.push(' ');
        }
    }
}

fn gen_format() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(gen_item(gen_kind()), 0..6),
        prop::option::weighted(0.1, prop::sample::select(PREFIXES)),
    )
        .prop_map(|(items, trailing)| {
            let mut s = String::new();
            render(&items, &mut s, &mut 0);
            if let Some(p) = trailing {
                s.push(p);
            }
            s
        })
}

/// Parse → print → parse gives the same value, size, alignment and offsets; printing is stable.
fn check_round_trip(f: &Format) -> Result<(), TestCaseError> {
    let printed = f.to_string();
    let g = Format::parse(&printed)
        .map_err(|e| TestCaseError::fail(format!("{printed:?} does not reparse: {e}")))?;
    prop_assert_eq!(&g, f, "{:?}", printed);
    prop_assert_eq!(g.itemsize(), f.itemsize());
    prop_assert_eq!(g.alignment(), f.alignment());
    prop_assert_eq!(g.offsets(), f.offsets());
    prop_assert_eq!(g.to_string(), printed);
    Ok(())
}

fn check_error(input: &str, e: Error) -> Result<(), TestCaseError> {
    match e {
        Error::Format {
            input: echoed,
            pos,
            reason,
        } => {
            prop_assert_eq!(echoed.as_str(), input);
            prop_assert!(pos <= input.len(), "pos {} in {:?}", pos, input);
            prop_assert!(input.is_char_boundary(pos));
            prop_assert!(!reason.is_empty());
        }
        other => prop_assert!(false, "wrong error kind {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn grammar_strings_parse_and_round_trip(s in gen_format()) {
        let f = Format::parse(&s)
            .map_err(|e| TestCaseError::fail(format!("{s:?} rejected: {e}")))?;
        check_round_trip(&f)?;
        let items = f.offsets().len();
        prop_assert_eq!(items, f.items().len());
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
        match Format::parse(&s) {
            Ok(f) => check_round_trip(&f)?,
            Err(e) => check_error(&s, e)?,
        }
    }

    #[test]
    fn grammar_alphabet_never_panics(
        s in "[@=<>!^xcbB?hHiIlLqQnNefdspPZTgy{}():, 0-9]{0,40}"
    ) {
        match Format::parse(&s) {
            Ok(f) => check_round_trip(&f)?,
            Err(e) => check_error(&s, e)?,
        }
    }

    #[test]
    fn huge_counts_never_panic(
        a in any::<u64>(), b in any::<u64>(), c in any::<u64>(),
        code in prop::sample::select(CODES),
    ) {
        let s = format!("c({a},{b}){c}{code} {a}T{{{b}d}}");
        match Format::parse(&s) {
            Ok(f) => check_round_trip(&f)?,
            Err(e) => check_error(&s, e)?,
        }
    }
}
