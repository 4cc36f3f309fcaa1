#[path = "../benches/corpus.rs"]
mod corpus;
use std::time::{Duration, Instant};
fn med(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}
fn main() {
    let py = pretense::lang::from_name("python").unwrap();
    let _ = py.analyze("a = 1");
    let mut a = vec![];
    let mut b = vec![];
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&py.grammar()).unwrap();
    for i in 0..300u64 {
        let mut rng = corpus::Rng(500 + i);
        let code = corpus::python(&mut rng, 2_000);
        let t = Instant::now();
        std::hint::black_box(py.analyze(&code));
        a.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(parser.parse(&code, None));
        b.push(t.elapsed());
    }
    println!("analyze 2 KB python {:.3} ms, parse {:.3}", med(a), med(b));
}
