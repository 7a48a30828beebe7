//! The shape of the code, checked: in every crate of the workspace no two
//! modules import each other, however indirectly, and nothing below `cli/`
//! imports `cli/` (the exit-code error lives there, over every stage's
//! error, so arrows must only point down to it).
//!
//! The graph has one node per source file. An edge is every path a file
//! names that starts with `crate::`, `super::`, `self::` or one of its
//! module's children, in `use` trees and in expressions alike, resolved to
//! the deepest module file that exists: `crate::store::layout::RunLayout` is
//! an edge to `store/layout.rs`, `crate::store::Store` one to
//! `store/mod.rs`. `mod x;` declarations are not edges. So a child must
//! never import what its parent's `mod.rs` defines or re-exports when that
//! parent imports the child: such types belong in a file of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// One crate's modules: module path (`["load", "sqlite"]`) to its file.
struct Crate {
    name: String,
    modules: BTreeMap<Vec<String>, PathBuf>,
}

fn crates() -> Vec<Crate> {
    let mut roots = vec![("tiktok_etl".to_owned(), PathBuf::from(REPO).join("src"))];
    for entry in std::fs::read_dir(Path::new(REPO).join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().replace('-', "_");
        roots.push((name, dir.join("src")));
    }
    roots
        .into_iter()
        .map(|(name, src)| {
            let mut modules = BTreeMap::new();
            collect(&src, &src, &mut modules);
            Crate { name, modules }
        })
        .collect()
}

fn collect(src: &Path, dir: &Path, out: &mut BTreeMap<Vec<String>, PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().unwrap() != "bin" {
                collect(src, &path, out);
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let mut module: Vec<String> = relative
            .iter()
            .map(|p| p.to_str().unwrap().to_owned())
            .collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        out.insert(module, path);
    }
}

/// Source text with comments, string and char literals blanked out, so
/// only code is searched for paths.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if peek(&chars, i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if peek(&chars, i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && peek(&chars, i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && peek(&chars, i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            'r' if (peek(&chars, i + 1) == '#' || peek(&chars, i + 1) == '"')
                && starts_literal(&chars[..i]) =>
            {
                let hashes = (1..).take_while(|&n| peek(&chars, i + n) == '#').count();
                if peek(&chars, i + hashes + 1) != '"' {
                    out.push('r');
                    i += 1;
                    continue;
                }
                i += hashes + 2;
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                while i < chars.len() && !chars[i..].iter().collect::<String>().starts_with(&close)
                {
                    i += 1;
                }
                i += close.len();
                out.push_str("\"\"");
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            '\'' if peek(&chars, i + 1) == '\\' || peek(&chars, i + 2) == '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("' '");
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Whether an `r` after `before` opens a raw string (`r"`, `br#"`), not
/// the end of a name like `for`.
fn starts_literal(before: &[char]) -> bool {
    let ident = |c: Option<&char>| c.is_some_and(|c| is_ident(*c));
    match before.split_last() {
        Some(('b', earlier)) => !ident(earlier.last()),
        Some((last, _)) => !is_ident(*last),
        None => true,
    }
}

/// The character at `i`, or a space past the end.
fn peek(chars: &[char], i: usize) -> char {
    chars.get(i).copied().unwrap_or(' ')
}

/// The paths a `use` tree names, e.g. `a::{b::C, d::*}` → `a::b::C`, `a::d`.
fn use_paths(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        for part in split_top(inner) {
            use_paths(part, prefix, out);
        }
        return;
    }
    match tree.split_once("::") {
        Some((head, rest)) => {
            let mut next = prefix.to_vec();
            next.push(head.trim().to_owned());
            use_paths(rest, &next, out);
        }
        None => {
            let leaf = tree.split(" as ").next().unwrap_or("").trim();
            let mut path = prefix.to_vec();
            if !matches!(leaf, "" | "*" | "self") {
                path.push(leaf.to_owned());
            }
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
}

/// Splits on the commas that are not inside braces.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path named in `code` with the inline module it is named in: the
/// `use` trees, then `a::b` paths in expressions.
fn named_paths(code: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    // Inline modules (`mod tests { … }`) change what `super` means.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    let word_at = |i: usize, word: &str| {
        code_at(&bytes, i).starts_with(word)
            && !bytes.get(i.wrapping_sub(1)).is_some_and(|&c| is_ident(c))
            && !bytes.get(i + word.len()).is_some_and(|&c| is_ident(c))
    };
    while i < bytes.len() {
        match bytes[i] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            _ => {}
        }
        let here: Vec<String> = inline.iter().map(|(m, _)| m.clone()).collect();
        if word_at(i, "mod") {
            let rest = code_at(&bytes, i + 3);
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|&c| is_ident(c))
                .collect();
            let after = rest.trim_start()[name.len()..].trim_start();
            if after.starts_with('{') {
                inline.push((name, depth));
            }
        }
        if word_at(i, "use") {
            let rest = code_at(&bytes, i + 3);
            let end = rest.find(';').unwrap_or(rest.len());
            let mut paths = Vec::new();
            use_paths(
                &rest[..end].replace(char::is_whitespace, " "),
                &[],
                &mut paths,
            );
            found.extend(paths.into_iter().map(|p| (here.clone(), p)));
            i += 3 + end;
            continue;
        }
        let starts_path = is_ident(bytes[i])
            && !bytes
                .get(i.wrapping_sub(1))
                .is_some_and(|&c| is_ident(c) || c == ':');
        if starts_path {
            let rest = code_at(&bytes, i);
            let mut path = Vec::new();
            let mut text = rest.as_str();
            loop {
                let segment: String = text.chars().take_while(|&c| is_ident(c)).collect();
                if segment.is_empty() {
                    break;
                }
                text = &text[segment.len()..];
                path.push(segment);
                match text.strip_prefix("::") {
                    Some(next) => text = next,
                    None => break,
                }
            }
            if path.len() > 1 {
                found.push((here, path));
            }
            i += rest.len() - text.len();
            continue;
        }
        i += 1;
    }
    found
}

fn code_at(chars: &[char], i: usize) -> String {
    chars[i.min(chars.len())..].iter().take(4000).collect()
}

/// The file a path named in module `module` leads to, if it is in the crate.
fn resolve(krate: &Crate, module: &[String], path: &[String]) -> Option<PathBuf> {
    let mut at: Vec<String> = module.to_vec();
    let mut segments = path.iter().peekable();
    match segments.peek().map(|s| s.as_str()) {
        Some("crate") => {
            at.clear();
            segments.next();
        }
        Some(name) if name == krate.name => {
            at.clear();
            segments.next();
        }
        Some("self" | "super") => {
            while let Some(s) = segments.peek() {
                match s.as_str() {
                    "self" => {}
                    "super" => {
                        at.pop()?;
                    }
                    _ => break,
                }
                segments.next();
            }
        }
        Some(first) => {
            let mut child = at.clone();
            child.push(first.to_owned());
            if !krate.modules.contains_key(&child) {
                return None; // Another crate, or an item of this module.
            }
        }
        None => return None,
    }
    for segment in segments {
        let mut child = at.clone();
        child.push(segment.clone());
        if !krate.modules.contains_key(&child) {
            break;
        }
        at = child;
    }
    krate.modules.get(&at).cloned()
}

/// Edges from each file to the files it names, within one crate.
fn graph(krate: &Crate) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (module, file) in &krate.modules {
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        let targets = edges.entry(file.clone()).or_default();
        for (inline, path) in named_paths(&code) {
            let here: Vec<String> = module.iter().chain(&inline).cloned().collect();
            // Paths inside an inline module resolve from it, then land on this file.
            if let Some(target) = resolve(krate, &here, &path).or_else(|| {
                let from_file = resolve(krate, module, &path)?;
                (!inline.is_empty()).then_some(from_file)
            }) && target != *file
            {
                targets.insert(target);
            }
        }
    }
    edges
}

/// Strongly connected components of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn shown(path: &Path) -> String {
    path.strip_prefix(REPO)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_module_imports_another_in_a_circle() {
    let mut report = Vec::new();
    for krate in crates() {
        if krate.modules.len() == 1 {
            // One file (the benchmark's floor): nothing to go round.
            continue;
        }
        assert!(krate.modules.len() > 3, "{} has no modules?", krate.name);
        for component in cycles(&graph(&krate)) {
            let files: Vec<String> = component.iter().map(|p| shown(p)).collect();
            report.push(format!("{}: {}", krate.name, files.join(" <-> ")));
        }
    }
    assert!(report.is_empty(), "import circles:\n{}", report.join("\n"));
}

#[test]
fn nothing_below_cli_imports_cli() {
    let krate = crates().remove(0);
    let cli = PathBuf::from(REPO).join("src/cli");
    let mut offenders = Vec::new();
    for (file, targets) in graph(&krate) {
        if file.starts_with(&cli) {
            continue;
        }
        for target in targets.iter().filter(|t| t.starts_with(&cli)) {
            offenders.push(format!("{} imports {}", shown(&file), shown(target)));
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn the_checker_sees_circles_and_paths() {
    // The checker itself, on a made-up crate: a circle through a re-export,
    // a grouped use, an expression path, and a test module's `super`.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a; mod b;").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod x; pub use x::X; fn f() { crate::b::g(); }",
    )
    .unwrap();
    std::fs::write(
        src.join("a/x.rs"),
        "// use crate::b;\nuse super::{X as _, Y};\npub struct X;\n\
         #[cfg(test)] mod tests { use super::*; }",
    )
    .unwrap();
    std::fs::write(src.join("b.rs"), "pub fn g() { let s = \"crate::a::X\"; }").unwrap();
    let mut modules = BTreeMap::new();
    collect(src, src, &mut modules);
    let krate = Crate {
        name: "made_up".into(),
        modules,
    };
    let edges = graph(&krate);
    assert_eq!(
        edges[&src.join("a/x.rs")],
        BTreeSet::from([src.join("a/mod.rs")])
    );
    assert_eq!(
        edges[&src.join("b.rs")],
        BTreeSet::new(),
        "strings are not code"
    );
    assert!(edges[&src.join("a/mod.rs")].contains(&src.join("b.rs")));
    let found = cycles(&edges);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].len(), 2);
}
