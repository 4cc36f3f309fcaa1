//! Engine behaviour on realistic inputs: what is renamed, what is protected, what comes back.

use super::*;
use crate::config::{Config, DictionaryTerm};
use crate::secrets::sample;

fn engine_with(config: &Config, vault: Arc<Vault>) -> Engine {
    Engine::new(config, NamingKey::from_bytes([42; 32]), vault).unwrap()
}

fn engine() -> Engine {
    engine_with(
        &Config::default(),
        Arc::new(Vault::open_in_memory().unwrap()),
    )
}

/// One turn of a conversation: `history` seen before, then TypeScript `code`; the history's
/// rewrite.
fn history_turn(e: &Engine, history: &str, code: &str) -> String {
    let inputs = [
        Input::text(history),
        Input {
            text: code.as_bytes(),
            lang: lang::from_name("typescript"),
            path: None,
        },
    ];
    String::from_utf8(e.redact(&inputs).unwrap().texts[0].clone()).unwrap()
}

fn redact_one(e: &Engine, text: &str, lang: Option<&str>) -> (String, Redaction) {
    let input = Input {
        text: text.as_bytes(),
        lang: lang.map(|l| lang::from_name(l).unwrap()),
        path: None,
    };
    let r = e.redact(&[input]).unwrap();
    (String::from_utf8(r.texts[0].clone()).unwrap(), r)
}

const TS: &str = r#"import { Injectable } from "@nestjs/common";
import { fetchLedgerEntries } from "./ledger";

export interface InvoiceSummary {
  invoiceTotal: number;
  customerRegion: string;
}

export class BillingReconciler {
  private readonly pendingInvoices = new Map<string, InvoiceSummary>();

  async reconcileInvoices(accountNumber: string): Promise<InvoiceSummary[]> {
    const entries = await fetchLedgerEntries(accountNumber);
    console.log("reconciling", entries.length);
    return entries.map((e) => this.pendingInvoices.get(e.id)!);
  }
}
"#;

#[test]
fn typescript_round_trip_renames_declarations_only() {
    let e = engine();
    let (out, r) = redact_one(&e, TS, Some("typescript"));
    for declared in [
        "BillingReconciler",
        "reconcileInvoices",
        "InvoiceSummary",
        "invoiceTotal",
        "customerRegion",
        "pendingInvoices",
        "accountNumber",
        "fetchLedgerEntries",
    ] {
        assert!(!out.contains(declared), "{declared} survived:\n{out}");
    }
    for kept in [
        "Injectable",
        "@nestjs/common",
        "console.log",
        "Promise",
        "Map<string",
        ".length",
        "./ledger",
    ] {
        assert!(out.contains(kept), "{kept} must stay:\n{out}");
    }
    assert!(r.mutations() >= 8, "{}", r.mutations());
    assert_eq!(e.restore(Some(&r), &out), TS);
    // The vault alone restores it too (as `pretense restore` does).
    assert_eq!(e.restore(None, &out), TS);
}

#[test]
fn prose_and_later_turns_use_known_names() {
    let e = engine();
    let msg = format!(
        "Here is my code:\n\n```ts\n{TS}```\n\nWhy does reconcileInvoices() return stale BillingReconciler data?"
    );
    let (out, r) = redact_one(&e, &msg, None);
    assert!(
        !out.contains("reconcileInvoices") && !out.contains("BillingReconciler"),
        "{out}"
    );
    assert_eq!(e.restore(Some(&r), &out), msg);
    // A later turn mentions the names without any code: still renamed, same replacements.
    let (later, _) = redact_one(
        &e,
        "Rename reconcile_invoices and make BillingReconcilerTest pass",
        None,
    );
    assert!(
        !later.contains("reconcile_invoices") && !later.contains("BillingReconciler"),
        "{later}"
    );
    let first_repl = out
        .split("Why does ")
        .nth(1)
        .unwrap()
        .split("()")
        .next()
        .unwrap();
    let snake: String = first_repl
        .chars()
        .flat_map(|c| {
            if c.is_uppercase() {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect();
    assert!(later.contains(&snake), "{later} should contain {snake}");
}

#[test]
fn secrets_become_placeholders_inside_the_quotes_and_come_back_from_memory() {
    let e = engine();
    let key = sample::expand("ghp_{36}", 1).unwrap();
    let src = format!("const githubToken = \"{key}\";\n");
    let (out, r) = redact_one(&e, &src, Some("typescript"));
    assert!(!out.contains(&key));
    let ph = out.split('"').nth(1).unwrap();
    assert!(
        ph.starts_with("PRETENSE_SECRET_") && ph.len() == 24,
        "{out}"
    );
    assert_eq!(r.secret_count(), 1);
    assert_eq!(r.secrets[0].rule, "github_pat");
    assert_eq!(e.restore(Some(&r), &out), src);
    // Same value, same placeholder.
    let (again, _) = redact_one(&e, &format!("x = '{key}'"), None);
    assert!(again.contains(ph));
    // The vault never holds it.
    let all = e.vault().list(None).unwrap();
    assert!(all.iter().all(|v| !v.display().contains(&key)));
}

#[test]
fn block_policy_refuses_without_the_value() {
    let mut config = Config::default();
    config.secrets.policy = SecretPolicy::Block;
    let e = engine_with(&config, Arc::new(Vault::open_in_memory().unwrap()));
    let key = sample::expand("ghp_{36}", 2).unwrap();
    let err = e
        .redact(&[Input::text(&format!("a\ntoken = \"{key}\"\n"))])
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("github_pat at line 2"), "{msg}");
    assert!(!msg.contains(&key));
}

#[test]
fn pii_and_terms_round_trip_through_the_vault() {
    let mut config = Config::default();
    config.dictionary.push(DictionaryTerm {
        term: "Project Falcon".into(),
        case_sensitive: false,
        whole_word: true,
    });
    let vault = Arc::new(Vault::open_in_memory().unwrap());
    let e = engine_with(&config, vault.clone());
    let text = "Project Falcon ships to alice@acme-corp.io from 10.1.2.3; PROJECT FALCON is late.";
    let (out, r) = redact_one(&e, text, None);
    for gone in ["Falcon", "FALCON", "alice@acme-corp.io", "10.1.2.3"] {
        assert!(!out.contains(gone), "{gone}: {out}");
    }
    assert!(
        out.contains("PRETENSE_EMAIL_") && out.contains("PRETENSE_IP_"),
        "{out}"
    );
    assert_eq!(r.pii, 2);
    assert_eq!(r.terms, 2);
    assert_eq!(r.mutations(), 4);
    // Another engine on the same vault (the CLI after the daemon) restores everything.
    let other = engine_with(&config, vault);
    assert_eq!(other.restore(None, &out), text);
}

#[test]
fn naming_is_deterministic_per_key() {
    let a = engine();
    let b = engine();
    let (x, _) = redact_one(&a, TS, Some("typescript"));
    let (y, _) = redact_one(&b, TS, Some("typescript"));
    assert_eq!(
        x, y,
        "same key, fresh vaults: same bytes (prompt caches keep hitting)"
    );
    let c = Engine::new(
        &Config::default(),
        NamingKey::from_bytes([1; 32]),
        Arc::new(Vault::open_in_memory().unwrap()),
    )
    .unwrap();
    let (z, _) = redact_one(&c, TS, Some("typescript"));
    assert_ne!(x, z, "another install names differently");
}

#[test]
fn line_numbered_tool_output_keeps_its_numbers() {
    let e = engine();
    let numbered: String = TS
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{:>6}\t{l}\n", i + 1))
        .collect();
    let input = Input {
        text: numbered.as_bytes(),
        lang: None,
        path: Some("src/billing/reconciler.ts"),
    };
    let r = e.redact(&[input]).unwrap();
    let out = String::from_utf8(r.texts[0].clone()).unwrap();
    assert!(!out.contains("BillingReconciler"), "{out}");
    assert!(out.starts_with("     1\timport"), "{out}");
    assert_eq!(e.restore(Some(&r), &out), numbered);
}

#[test]
fn egress_check_finds_survivors() {
    let e = engine();
    let (out, r) = redact_one(&e, TS, Some("typescript"));
    assert_eq!(r.egress_violation(&out), None);
    assert_eq!(
        r.egress_violation("call reconcile_invoices now"),
        Some("identifier")
    );
    let key = sample::expand("ghp_{36}", 3).unwrap();
    let (_, r) = redact_one(&e, &format!("t = \"{key}\""), None);
    assert_eq!(r.egress_violation(&format!("leak {key}")), Some("secret"));
}

#[test]
fn never_and_always_lists() {
    let mut config = Config::default();
    config.identifiers.never = vec!["BillingReconciler".into()];
    config.identifiers.always = vec!["acmeInternalApi".into()];
    let e = engine_with(&config, Arc::new(Vault::open_in_memory().unwrap()));
    let (out, r) = redact_one(
        &e,
        &format!("{TS}\n// calls acmeInternalApi\n"),
        Some("typescript"),
    );
    assert!(out.contains("BillingReconciler"), "never");
    assert!(!out.contains("acmeInternalApi"), "always");
    assert!(!out.contains("reconcileInvoices"));
    assert_eq!(
        e.restore(Some(&r), &out),
        format!("{TS}\n// calls acmeInternalApi\n")
    );
}

#[test]
fn existing_replacements_in_the_text_are_avoided() {
    let e = engine();
    let (out, _) = redact_one(&e, "function reconcileInvoices() {}", Some("typescript"));
    let repl = out
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches("()")
        .to_string();
    // A fresh engine whose text already contains that replacement must pick another one.
    let f = engine();
    let text = format!("function reconcileInvoices() {{}} // {repl}");
    let (out2, r) = redact_one(&f, &text, Some("typescript"));
    assert!(!out2.starts_with(&format!("function {repl}")), "{out2}");
    assert_eq!(f.restore(Some(&r), &out2), text);
}

#[test]
fn invalid_utf8_round_trips_byte_for_byte() {
    let e = engine();
    let mut data = b"def compute_ledger_total(x):\n    return x  # \xff\xfe caf\xc3\xa9\n".to_vec();
    data.extend_from_slice(b"print(compute_ledger_total(1))\n");
    let r = e
        .redact(&[Input {
            text: &data,
            lang: lang::from_name("python"),
            path: None,
        }])
        .unwrap();
    assert!(memchr::memmem::find(&r.texts[0], b"compute_ledger_total").is_none());
    let mut restorer = e.restorer(Some(&r), Escape::None);
    let mut back = restorer.push_bytes(&r.texts[0]);
    back.extend(restorer.finish_bytes());
    assert_eq!(back, data);
}

#[test]
fn memoized_texts_follow_names_learned_and_forgotten_later() {
    let vault = Arc::new(Vault::open_in_memory().unwrap());
    let e = engine_with(&Config::default(), vault.clone());
    let history = "please call settleMerchantBatch now";
    let once = |extra: &str| -> String {
        let inputs = [
            Input::text(history),
            Input {
                text: extra.as_bytes(),
                lang: lang::from_name("typescript"),
                path: None,
            },
        ];
        let r = e.redact(&inputs).unwrap();
        String::from_utf8(r.texts[0].clone()).unwrap()
    };
    // Not declared anywhere yet: left as it is (and memoized that way).
    assert_eq!(once("const x = 1;"), history);
    assert_eq!(once("const y = 2;"), history);
    // A later turn declares it: the memoized history must be rewritten now.
    let renamed = once("function settleMerchantBatch() {}");
    assert!(!renamed.contains("settleMerchantBatch"), "{renamed}");
    // Still renamed in the next turn, from the vault, without the declaration.
    assert_eq!(once("const z = 3;"), renamed);
    // Forgotten: the history goes back to its original words.
    assert_eq!(e.vault().forget("settleMerchantBatch").unwrap(), 1);
    assert_eq!(once("const w = 4;"), history);
    // Learned by another process (another engine on the same vault): seen here too.
    let other = engine_with(&Config::default(), vault);
    other
        .redact(&[Input {
            text: b"function settleMerchantBatch() {}",
            lang: lang::from_name("typescript"),
            path: None,
        }])
        .unwrap();
    assert!(!once("const v = 5;").contains("settleMerchantBatch"));
}

/// A memoized text that lacks names learned later is patched token by token; the result must be
/// what matching it afresh gives. The second engine sees the same texts with trailing spaces
/// added, which changes no token but misses every memo.
#[test]
fn a_patched_memo_matches_like_a_fresh_pass() {
    let history = "getUserName() calls getUser, fetchUserToken and superuser; the user_token_cache \
                   and \\nuserTokenCache stay; getUserNameById too";
    let turns = [
        "function getUser() {}",
        "function getUserName() {} function fetchUserToken() {}",
        "const userTokenCache = 1; function user() {}",
        "const x = 1;",
    ];
    let patched = engine();
    let fresh = engine();
    let run = history_turn;
    let before = PATCHED.load(std::sync::atomic::Ordering::Relaxed);
    let mut outputs = Vec::new();
    for (n, code) in turns.iter().enumerate() {
        let a = run(&patched, history, code);
        let b = run(&fresh, &format!("{history}{}", " ".repeat(n + 1)), code);
        assert_eq!(a, b.trim_end(), "turn {n}");
        outputs.push(a);
    }
    assert!(
        PATCHED.load(std::sync::atomic::Ordering::Relaxed) >= before + 2,
        "the later turns patch the memo"
    );
    assert!(!outputs[1].contains("getUserName") && !outputs[2].contains("userTokenCache"));
    assert_ne!(outputs[0], outputs[1]);
}

#[test]
fn a_secret_is_protected_wherever_its_value_appears() {
    let e = engine();
    let key = sample::expand("{32}", 71).unwrap();
    // Found through its context (an .env assignment) in the tool result ...
    let env = format!("DB_PASSWORD={key}\n");
    // ... and bare in the model's earlier answer, where no rule would find it.
    let prose = format!("The password is {key}, keep it safe.");
    let r = e.redact(&[Input::text(&env), Input::text(&prose)]).unwrap();
    let out: Vec<String> = r
        .texts
        .iter()
        .map(|t| String::from_utf8(t.clone()).unwrap())
        .collect();
    assert!(out.iter().all(|t| !t.contains(&key)), "{out:?}");
    let ph = out[0].trim_end().split('=').nth(1).unwrap().to_string();
    assert!(out[1].contains(&ph), "the same placeholder: {out:?}");
    assert_eq!(r.secret_count(), 1);
    // A later turn holds only the bare value: still replaced, from this process's memory.
    let (later, r2) = redact_one(&e, &format!("Use {key} in the test."), None);
    assert!(!later.contains(&key) && later.contains(&ph), "{later}");
    assert_eq!(
        e.restore(Some(&r2), &later),
        format!("Use {key} in the test.")
    );
    assert_eq!(r2.egress_violation(&later), None);
}

#[test]
fn egress_always_looks_for_values_even_in_reused_outputs() {
    let e = engine();
    let long = format!(
        "{}\nfunction settleMerchantBatch() {{}}\n",
        "// padding line\n".repeat(30)
    );
    let input = Input {
        text: long.as_bytes(),
        lang: lang::from_name("typescript"),
        path: None,
    };
    let r1 = e.redact(&[input]).unwrap();
    r1.mark_egress_passed();
    let out = String::from_utf8(r1.texts[0].clone()).unwrap();
    // The second time the output is reused; a secret smuggled next to it is still found.
    let key = sample::expand("ghp_{36}", 72).unwrap();
    let r2 = e
        .redact(&[input, Input::text(&format!("token = \"{key}\""))])
        .unwrap();
    assert_eq!(String::from_utf8(r2.texts[0].clone()).unwrap(), out);
    assert_eq!(r2.egress_violation(&format!("{out}{key}")), Some("secret"));
}

#[test]
fn changed_tokens_are_found_only_between_the_same_separators() {
    assert_eq!(changed_tokens(b"a bb, c", b"a bb, c"), Some(vec![]));
    let changed = changed_tokens(b"a zqx, c", b"a bb, c").unwrap();
    assert_eq!(
        changed.iter().map(|r| (r.start, r.end)).collect::<Vec<_>>(),
        [(2, 5)]
    );
    assert_eq!(
        changed_tokens(b"a bb; c", b"a bb, c"),
        None,
        "a separator changed"
    );
    assert_eq!(changed_tokens(b"a bb c d", b"a bb c"), None, "a token more");
    assert_eq!(changed_tokens(b"a bb c.", b"a bb c"), None, "a tail more");
}

proptest::proptest! {
    /// The fast comparison agrees with comparing token by token, held tokens included.
    #[test]
    fn changed_tokens_agrees_with_a_token_by_token_comparison(
        old in "[ab_ ,\\\\]{0,40}",
        edits in proptest::collection::vec((0usize..40, "[ab_ ,]{0,3}"), 0..4),
        hold in proptest::collection::vec(proptest::bool::ANY, 1..12),
    ) {
        let mut new = old.clone();
        for (at, with) in edits {
            let at = at.min(new.len());
            new.replace_range(at..(at + 1).min(new.len()), &with);
        }
        let (new, old) = (new.as_bytes(), old.as_bytes());
        let held: Vec<usize> = words::tokens(old)
            .enumerate()
            .filter(|(i, _)| hold[i % hold.len()])
            .map(|(_, t)| t.start)
            .collect();
        let slow = {
            let (mut x, mut y) = (words::tokens(new), words::tokens(old));
            let (mut ea, mut eb) = (0, 0);
            let mut changed = Vec::new();
            loop {
                match (x.next(), y.next()) {
                    (None, None) => break (new[ea..] == old[eb..]).then_some(changed),
                    (Some(p), Some(q)) => {
                        if new[ea..p.start] != old[eb..q.start] {
                            break None;
                        }
                        if new[p.clone()] != old[q.clone()] || held.contains(&q.start) {
                            changed.push(p.clone());
                        }
                        (ea, eb) = (p.end, q.end);
                    }
                    _ => break None,
                }
            }
        };
        let fast = changed_or_held_tokens(new, old, &held);
        if held.is_empty() {
            proptest::prop_assert_eq!(&fast, &changed_tokens(new, old));
        }
        // Where the token sequences align, both name the same tokens. Where they do not, the fast
        // one may still answer: it names every token that is not an equal token between equal
        // separators, which is all the name search needs.
        if slow.is_some() {
            proptest::prop_assert_eq!(fast, slow);
        } else if let Some(fast) = fast {
            let mut covered = vec![false; new.len()];
            for r in &fast {
                covered[r.clone()].iter_mut().for_each(|c| *c = true);
            }
            for t in words::tokens(new) {
                let in_old = old.windows(t.len()).any(|w| w == &new[t.clone()]);
                proptest::prop_assert!(covered[t.start] || in_old, "{:?} unchecked", t);
            }
        }
    }
}

/// Prose long enough for its output to be hashed, holding the tokens `userCache` and
/// `fetchLedger`.
fn memo_history() -> String {
    format!(
        "{}the userCache and fetchLedger appear here",
        "Some words of prose to pass the size where outputs are hashed. ".repeat(6)
    )
}

/// A turn of `history` (prose) and `code` (TypeScript).
fn code_turn(e: &Engine, history: &str, code: &str) -> Redaction {
    e.redact(&[
        Input::text(history),
        Input {
            text: code.as_bytes(),
            lang: lang::from_name("typescript"),
            path: None,
        },
    ])
    .unwrap()
}

/// What a fresh engine makes of `history` after turns declaring `codes`. Each turn's history has
/// its own number of trailing spaces, so no turn finds a memo.
fn fresh_rewrite(history: &str, codes: &[&str]) -> String {
    let fresh = engine();
    let mut out = String::new();
    for (n, code) in codes.iter().enumerate() {
        let history = format!("{history}{}", " ".repeat(n + 1));
        out = String::from_utf8(code_turn(&fresh, &history, code).texts[0].clone()).unwrap();
    }
    out.trim_end().to_string()
}

/// A memo whose tokens hold the first word of a name learned since, but no token all of its
/// words, is reused as it is: neither matched again nor searched by the egress check.
#[test]
fn a_memo_whose_tokens_lack_a_new_names_words_is_reused_as_it_was() {
    let e = engine();
    let history = memo_history();
    let turns = ["function fetchLedger() {}", "function userNameLookup() {}"];
    let r1 = code_turn(&e, &history, turns[0]);
    let first = String::from_utf8(r1.texts[0].clone()).unwrap();
    assert_eq!(r1.egress_violation(&first), None);
    r1.mark_egress_passed();
    // `user` is in the history, `lookup` is not.
    let r2 = code_turn(&e, &history, turns[1]);
    let second = String::from_utf8(r2.texts[0].clone()).unwrap();
    assert_eq!(second, first);
    let hash = output_hash(second.as_bytes());
    assert!(r2.patched.is_empty() && r2.kept.is_empty());
    assert!(r2.reused.contains_key(&hash));
    assert_eq!(r2.egress_violation(&second), None);
    assert_eq!(fresh_rewrite(&history, &turns), second);
    // Where a token holds the name's words, the memo is matched again and the name found there.
    let mention = format!("{history} and userNameLookup too");
    let e2 = engine();
    code_turn(&e2, &mention, turns[0]);
    let r3 = code_turn(&e2, &mention, turns[1]);
    let third = String::from_utf8(r3.texts[0].clone()).unwrap();
    assert!(!third.contains("userNameLookup"), "{third}");
    assert_eq!(fresh_rewrite(&mention, &turns), third);
}

/// A memo that lacks names whose words all occur in one of its tokens, but which themselves do
/// not, is kept as it is (no new rendering); its output equals a fresh pass, and the egress check
/// still searches it for those names, in the tokens that hold their first words.
#[test]
fn a_memo_whose_tokens_match_as_before_is_kept_and_still_checked() {
    let e = engine();
    let history = memo_history();
    let turn = code_turn;
    let r1 = turn(&e, &history, "function fetchLedger() {}");
    let first = String::from_utf8(r1.texts[0].clone()).unwrap();
    assert_eq!(r1.egress_violation(&first), None);
    r1.mark_egress_passed();
    // Both words of `cacheUser` are in the history's token `userCache`, but the name does not
    // occur there.
    let r2 = turn(&e, &history, "function cacheUser() {}");
    let second = String::from_utf8(r2.texts[0].clone()).unwrap();
    assert_eq!(second, first, "nothing new occurs in the history");
    let hash = output_hash(second.as_bytes());
    assert!(r2.patched.is_empty(), "a kept memo is not patched");
    assert_eq!(
        fresh_rewrite(
            &history,
            &["function fetchLedger() {}", "function cacheUser() {}"]
        ),
        second
    );
    // The output went out before, but names were learned since: searched where their first
    // words are, and a leak there is found.
    assert!(r2.kept.contains_key(&hash) && !r2.reused.contains_key(&hash));
    assert_eq!(r2.egress_violation(&second), None);
    // Not verified against the new names until a request that sent it passes: a retry of a
    // request that failed searches it whole.
    let r3 = turn(&e, &history, "function cacheUser() {}");
    assert!(!r3.reused.contains_key(&hash) && !r3.kept.contains_key(&hash));
    assert_eq!(r3.egress_violation(&second), None);
    r3.mark_egress_passed();
    let r4 = turn(&e, &history, "function cacheUser() {}");
    assert!(
        r4.reused.contains_key(&hash),
        "verified once a request passed"
    );
    let (_, index, firsts) = &r2.kept[&hash];
    assert!(
        index.get().is_some(),
        "the output's words are indexed once kept"
    );
    let leaked = second.replacen("userCache", "cacheUser", 1);
    let leaked_words = WordIndex::new(leaked.as_bytes(), &[]);
    assert_eq!(
        r2.egress
            .check(leaked.as_bytes(), Names::Holding(&leaked_words, firsts)),
        Some("identifier")
    );
    // Only the tokens that hold one of the given first words are read.
    let elsewhere = [word_hash("prose")];
    assert_eq!(
        r2.egress
            .check(leaked.as_bytes(), Names::Holding(&leaked_words, &elsewhere)),
        None
    );
}

/// A patched output that started from one which passed: the name search looks at its changed
/// tokens, and still finds a name left in one of them.
#[test]
fn egress_searches_the_changed_tokens_of_a_patched_output() {
    let e = engine();
    let history = format!(
        "{}getUserName and fetchLedger appear here",
        "Some words of prose to pass the size where outputs are hashed. ".repeat(6)
    );
    let turn = |code: &str| -> Redaction {
        e.redact(&[
            Input::text(&history),
            Input {
                text: code.as_bytes(),
                lang: lang::from_name("typescript"),
                path: None,
            },
        ])
        .unwrap()
    };
    let r1 = turn("function fetchLedger() {}");
    // Passing a request verifies only the outputs the check searched.
    r1.mark_egress_passed();
    let r1 = turn("function fetchLedger() {}");
    assert!(
        r1.reused.is_empty(),
        "an output never searched is not trusted"
    );
    let first = String::from_utf8(r1.texts[0].clone()).unwrap();
    assert_eq!(r1.egress_violation(&first), None);
    r1.mark_egress_passed();
    let r2 = turn("function getUserName() {}");
    let out = String::from_utf8(r2.texts[0].clone()).unwrap();
    assert!(
        !out.contains("getUserName") && !out.contains("fetchLedger"),
        "{out}"
    );
    assert!(
        r2.patched.contains_key(&output_hash(out.as_bytes())),
        "the history was patched from a verified output"
    );
    assert_eq!(r2.egress_violation(&out), None);
    // The changed token carrying the original name again: found.
    let replaced = out
        .split(' ')
        .find(|w| w.starts_with("zq") && !r1.texts[0].windows(w.len()).any(|x| x == w.as_bytes()))
        .unwrap()
        .to_string();
    let leaked = out.replacen(&replaced, "getUserName", 1);
    // Even where the leak makes the token what it was in the output that passed (there the name
    // was not known yet): the token holds the first word of a name learned since.
    let (old, new_words) = &r2.patched[&output_hash(out.as_bytes())];
    assert_eq!(
        r2.egress
            .check(leaked.as_bytes(), Names::ChangedSince(old, new_words)),
        Some("identifier")
    );
    // Any other output is searched whole.
    assert_eq!(r2.egress_violation(&leaked), Some("identifier"));
}

/// An output rendered by this request is searched only in the tokens the rewrite changed: the
/// same verdicts as a search of every token, and a name put back into a changed token is found.
#[test]
fn egress_searches_the_changed_tokens_of_an_output_rendered_here() {
    let e = engine();
    let key = sample::expand("ghp_{36}", 73).unwrap();
    let code = format!(
        "function reconcileInvoices(ledgerRows) {{\n  const token = \"{key}\";\n  return ledgerRows;\n}}\n"
    );
    let text = format!(
        "Why does reconcileInvoices drop ledgerRows?\n```ts\n{code}```\nSee \\nreconcileInvoices and C:\\ledgerRows too."
    );
    let r = e.redact(&[Input::text(&text)]).unwrap();
    let out = String::from_utf8(r.texts[0].clone()).unwrap();
    assert!(
        !out.contains("reconcile") && !out.contains("ledger") && !out.contains(&key),
        "{out}"
    );
    let (output, input, held) = &r.rendered[&output_hash(out.as_bytes())];
    assert_eq!(output.as_slice(), out.as_bytes());
    assert_eq!(&input[..], text.as_bytes());
    assert!(held.len() >= 6, "{held:?}");
    assert_eq!(
        r.egress.check(out.as_bytes(), Names::Rendered(input, held)),
        None
    );
    assert_eq!(r.egress.check(out.as_bytes(), Names::All), None);
    assert_eq!(r.egress_violation(&out), None);
    // A name back in a token the rewrite changed: found, although the token is then what it was
    // in the text (the rewrite's bug of leaving a name in place).
    let replaced = out
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .find(|w| w.starts_with("zq") && !text.contains(*w))
        .unwrap()
        .to_string();
    let leaked = out.replacen(&replaced, "reconcileInvoices", 1);
    assert_eq!(
        r.egress
            .check(leaked.as_bytes(), Names::Rendered(input, held)),
        Some("identifier")
    );
    // Without the tokens where names were found, that leak would pass: they are what finds it.
    assert_eq!(
        r.egress
            .search(leaked.as_bytes(), Names::Rendered(input, &[])),
        None
    );
    // The shortcut holds for the rendered output only: the text it came from, whose tokens all
    // look unchanged against itself (so only its secret, a value always looked for, would be
    // found), is searched whole, as is any other string.
    assert_eq!(
        r.egress
            .search(text.as_bytes(), Names::Rendered(input, &[])),
        Some("secret")
    );
    assert_eq!(r.egress_violation(&text), Some("identifier"));
    assert_eq!(r.egress_violation(&leaked), Some("identifier"));
}

/// Names glued to or right after protected spans (a secret, an email), after escapes: the
/// shortcut of a rendered output gives the verdict of a search of every token (checked inside the
/// egress check in tests), and none survives.
#[test]
fn rendered_outputs_with_names_next_to_protected_spans_pass_as_a_whole_search_would() {
    let e = engine();
    let key = sample::expand("ghp_{36}", 74).unwrap();
    let code = "function reconcileInvoices(ledgerRows) { return ledgerRows; }\n";
    let texts = [
        format!("```ts\n{code}```\n\"{key}\"reconcileInvoices and {key}.ledgerRows"),
        format!("```ts\n{code}```\nx={key}\\nreconcileInvoices \\\\ledgerRows"),
        format!(
            "```ts\n{code}```\nmail ledger.rows@reconcile-invoices.com or reconcileInvoices@acme.io"
        ),
        format!("```ts\n{code}```\n`{key}`ledgerRows\\\\nreconcileInvoices"),
    ];
    let mut shortcuts = 0;
    for text in &texts {
        let r = e.redact(&[Input::text(text)]).unwrap();
        let out = String::from_utf8(r.texts[0].clone()).unwrap();
        assert!(!out.contains(&key), "{out}");
        shortcuts += usize::from(r.rendered.contains_key(&output_hash(out.as_bytes())));
        assert_eq!(r.egress_violation(&out), None, "{text} -> {out}");
        assert_eq!(e.restore(Some(&r), &out), *text);
    }
    assert_eq!(shortcuts, texts.len(), "each output took the shortcut");
}

/// Each name declared is kept once, as first declared: repeated spellings and other spellings of
/// the same words add nothing, and what may not be renamed is left out wherever it comes.
#[test]
fn declared_names_are_kept_once_as_first_declared() {
    let d = |name: &str, kind: lang::Kind, mutable: bool| lang::Declaration {
        name: name.into(),
        kind,
        line: 1,
        column: 1,
        start_byte: 0,
        mutable,
    };
    let found = declared(vec![
        d("settle_batch", lang::Kind::Variable, false),
        d("settleBatch", lang::Kind::Function, true),
        d("amountDue", lang::Kind::Parameter, true),
        d("settleBatch", lang::Kind::Variable, true),
        d("settle_batch", lang::Kind::Parameter, true),
        d("amountDue", lang::Kind::Parameter, true),
        d("42", lang::Kind::Variable, true),
        d("ledgerRows", lang::Kind::Variable, false),
    ]);
    let got: Vec<(String, &str, String)> = found
        .iter()
        .map(|d| (d.words.join(" "), d.kind, d.display.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "settle batch".to_string(),
                lang::Kind::Function.as_str(),
                "settleBatch".to_string()
            ),
            (
                "amount due".to_string(),
                lang::Kind::Parameter.as_str(),
                "amountDue".to_string()
            ),
        ]
    );
}

proptest::proptest! {
    /// The marker words found by jumping between `z`s are those found token by token.
    #[test]
    fn marker_words_found_by_jumps_are_those_of_every_token(
        text in "([zZqQ\\\\_ .a-c]|zq|ZQ|zQx|\\\\n|\\\\\\\\zq){0,30}",
    ) {
        let text = text.as_bytes();
        let mut slow = Vec::new();
        let mut ranges = Vec::new();
        for tok in words::tokens(text) {
            marker_words_of(text, tok, &mut ranges, &mut slow);
        }
        let mut fast = Vec::new();
        collect_marker_words(text, &mut fast);
        proptest::prop_assert_eq!(fast, slow);
    }
}

#[test]
fn the_cache_keeps_to_its_byte_budget_and_keeps_the_recent() {
    let mut c = super::Cache::new(1000, 100);
    for k in 0..10u64 {
        c.put(k, k, 20);
        assert!(c.bytes <= 100, "{} bytes after {k}", c.bytes);
    }
    assert_eq!(c.get(9), Some(9), "the newest stays");
    assert_eq!(c.get(0), None, "the oldest went");
    // A text too big for the budget is not kept at all.
    c.put(99, 99, 60);
    assert_eq!(c.get(99), None);
    // By count too.
    let mut c = super::Cache::new(4, usize::MAX);
    for k in 0..9u64 {
        c.put(k, k, 1);
    }
    assert!(c.map.len() <= 4);
    assert_eq!(c.get(8), Some(8));
}

/// A patched memo reads a token after a protected span as a fresh pass does: a span ending in a
/// backslash does not turn the token's first letter into an escape.
#[test]
fn patching_after_a_protected_backslash_matches_a_fresh_pass() {
    let mut config = Config::default();
    config.dictionary.push(DictionaryTerm {
        term: "CORP\\".into(),
        case_sensitive: true,
        whole_word: false,
    });
    let history = "log in as CORP\\build_agent then";
    let run = history_turn;
    let patched = engine_with(&config, Arc::new(Vault::open_in_memory().unwrap()));
    let fresh = engine_with(&config, Arc::new(Vault::open_in_memory().unwrap()));
    for (n, code) in [
        "function agent() {}",
        "function buildAgent() {}",
        "function other() {}",
    ]
    .iter()
    .enumerate()
    {
        let a = run(&patched, history, code);
        let pad = " ".repeat(n + 1);
        let b = run(&fresh, &format!("{history}{pad}"), code);
        assert_eq!(format!("{a}{pad}"), b, "turn {n}");
        // From the turn that declares `buildAgent`, the whole token is that name.
        assert!(n == 0 || !a.contains("build"), "turn {n}: {a}");
    }
}

mod patching {
    //! Property: patching a memo gives what a fresh pass gives, for random histories and turns.
    use super::*;
    use proptest::prelude::*;

    /// Some words hide inside others (`us` in `user`, `ache` and `he` in `cache`).
    const WORDS: &[&str] = &[
        "user", "token", "get", "set", "cache", "ledger", "batch", "name", "id", "fetch", "us",
        "ache", "he",
    ];

    /// An identifier of one to three vocabulary words, in a random casing style.
    fn ident() -> impl Strategy<Value = String> {
        (prop::collection::vec(0..WORDS.len(), 1..4), 0..3u8).prop_map(|(ws, style)| {
            let words: Vec<&str> = ws.iter().map(|&i| WORDS[i]).collect();
            match style {
                0 => words.join("_"),
                1 => words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i == 0 {
                            w.to_string()
                        } else {
                            w[..1].to_uppercase() + &w[1..]
                        }
                    })
                    .collect(),
                _ => words
                    .iter()
                    .map(|w| w[..1].to_uppercase() + &w[1..])
                    .collect(),
            }
        })
    }

    /// Prose and code-ish text: identifiers separated by spaces, punctuation and escapes.
    fn history() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (
                ident(),
                prop::sample::select(vec![" ", ", ", ".", "(", "\\n", "::", "\"", " $"]),
            ),
            5..40,
        )
        .prop_map(|parts| parts.into_iter().map(|(w, sep)| w + sep).collect())
    }

    fn declarations() -> impl Strategy<Value = String> {
        prop::collection::vec(ident(), 1..4).prop_map(|names| {
            names
                .iter()
                .map(|n| format!("function {n}() {{}}\n"))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn patched_memos_match_fresh_passes(
            history in history(),
            turns in prop::collection::vec(declarations(), 2..5),
        ) {
            let patched = engine();
            let fresh = engine();
            let run = history_turn;
            for (n, code) in turns.iter().enumerate() {
                let a = run(&patched, &history, code);
                let pad = " ".repeat(n + 1);
                let b = run(&fresh, &format!("{history}{pad}"), code);
                prop_assert_eq!(format!("{a}{pad}"), b, "turn {}", n);
            }
        }
    }
}

/// Several new texts big enough to be parsed on every core, each with its own secret: every
/// text gets its own protected spans and names, as when it is rewritten alone.
#[test]
fn texts_analysed_side_by_side_keep_their_own_spans() {
    let block = |lang: &str, n: usize| -> String {
        (0..n)
            .map(|i| match lang {
                "ts" => format!(
                    "function handleOrder{i}(count{i}: number) {{ return count{i} + 1; }}\n"
                ),
                _ => format!("def settle_invoice_{i}(amount_{i}):\n    return amount_{i} * 2\n"),
            })
            .collect()
    };
    let texts = [
        format!(
            "```ts\n{}const token = \"{}\";\n```",
            block("ts", 90),
            sample::expand("ghp_{36}", 11).unwrap()
        ),
        format!(
            "```python\n{}API_KEY = \"{}\"\n```",
            block("py", 90),
            sample::expand("ghp_{36}", 12).unwrap()
        ),
        "Mail alice.smith@acme-corp.io when settle_invoice_3 and handleOrder4 fail.".to_string(),
    ];
    // Enough code to be parsed on every core (the fences and the secrets' lines aside).
    assert!(block("ts", 90).len() + block("py", 90).len() >= PARALLEL_MIN_BYTES);
    let together = engine()
        .redact(&texts.each_ref().map(|t| Input::text(t)))
        .unwrap();
    // One engine per text, the declaring texts first, as the names' meaning depends on them.
    let alone = engine();
    let single: Vec<String> = texts
        .iter()
        .map(|t| {
            String::from_utf8(alone.redact(&[Input::text(t)]).unwrap().texts[0].clone()).unwrap()
        })
        .collect();
    for (i, out) in together.texts.iter().enumerate() {
        let out = String::from_utf8(out.clone()).unwrap();
        assert_eq!(out, single[i], "text {i}");
    }
    let first = String::from_utf8(together.texts[0].clone()).unwrap();
    let second = String::from_utf8(together.texts[1].clone()).unwrap();
    let third = String::from_utf8(together.texts[2].clone()).unwrap();
    assert!(first.contains("PRETENSE_SECRET_") && !first.contains("ghp_"));
    assert!(second.contains("PRETENSE_SECRET_") && !second.contains("ghp_"));
    assert!(
        !third.contains("alice.smith@acme-corp.io") && !third.contains("handleOrder4"),
        "{third}"
    );
    assert_eq!(
        together.secrets.iter().map(|h| h.input).collect::<Vec<_>>(),
        [0, 1]
    );
}

/// A memo's output has one place for the caller's encoding of it, kept across the turns that
/// resend the output; short texts and texts without a memo have none.
#[test]
fn a_memo_keeps_its_outputs_encoding_across_turns() {
    let e = engine();
    let history = format!(
        "{}the userCache and fetchLedger",
        "Words of prose. ".repeat(80)
    );
    let code = "function fetchLedger() {}";
    let r1 = code_turn(&e, &history, code);
    let first = String::from_utf8(r1.texts[0].clone()).unwrap();
    let cell = r1.encoded(&first).expect("a long memoized output");
    cell.get_or_init(|| b"encoded once".to_vec());
    assert!(r1.encoded(code).is_none(), "short");
    assert!(r1.encoded(&format!("{first} ")).is_none(), "not an output");
    let r2 = code_turn(&e, &history, code);
    let second = String::from_utf8(r2.texts[0].clone()).unwrap();
    assert_eq!(second, first);
    assert_eq!(
        r2.encoded(&second)
            .and_then(OnceLock::get)
            .map(Vec::as_slice),
        Some(&b"encoded once"[..])
    );
}

#[test]
fn stats_count_each_name_by_this_requests_kind_else_the_vaults() {
    let e = engine();
    let (_, first) = redact_one(&e, "class LedgerStore {}\n", Some("typescript"));
    assert_eq!(
        first.identifiers.get("class"),
        Some(&1),
        "{:?}",
        first.identifiers
    );
    // Declared again, as a function this time, next to a new name: this request's kind wins
    // over the vault's for the known name, and the new name counts by its own.
    let (_, again) = redact_one(
        &e,
        "function LedgerStore() {}\nconst pendingTotal = 1;\n",
        Some("typescript"),
    );
    assert_eq!(
        again.identifiers.get("function"),
        Some(&1),
        "{:?}",
        again.identifiers
    );
    assert_eq!(
        again.identifiers.get("class"),
        None,
        "{:?}",
        again.identifiers
    );
    assert_eq!(
        again.identifiers.values().sum::<usize>(),
        2,
        "{:?}",
        again.identifiers
    );
    // Only mentioned: the vault's kind, from the first declaration.
    let (_, mention) = redact_one(&e, "Why does LedgerStore leak?", None);
    assert_eq!(
        mention.identifiers.get("class"),
        Some(&1),
        "{:?}",
        mention.identifiers
    );
}

/// `n` small Python functions, each after a blank line: a block that is cut into pieces.
fn python_functions(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("def compute_total_{i}(amount_due_{i}):\n    return amount_due_{i} * 2\n\n")
        })
        .collect()
}

#[test]
fn a_block_parsed_in_pieces_renames_what_a_whole_parse_declares() {
    let src = python_functions(40);
    assert!(lang::pieces(&src, lang::piece_goal(0)).len() > 1);
    let declared: Vec<String> = lang::from_name("python")
        .unwrap()
        .analyze(&src)
        .declarations
        .into_iter()
        .filter(|d| d.mutable)
        .map(|d| d.name)
        .collect();
    assert_eq!(declared.len(), 80, "{declared:?}");
    let (out, r) = redact_one(&engine(), &src, Some("python"));
    for name in &declared {
        assert!(!out.contains(name.as_str()), "{name} survived:\n{out}");
    }
    assert_eq!(
        r.identifiers.values().sum::<usize>(),
        80,
        "{:?}",
        r.identifiers
    );
}

#[test]
fn a_cut_inside_a_string_falls_back_to_the_whole_parse() {
    // The only place to cut after the first 768 bytes is a line inside the docstring.
    let src = format!(
        "DOC = \"\"\"\n{}\ndef looks_like_code_inside():\n    pass\n\"\"\"\n\n{}",
        "text\n".repeat(200),
        python_functions(30)
    );
    let cuts = lang::pieces(&src, lang::piece_goal(0));
    assert!(
        cuts.iter()
            .any(|c| src[c.clone()].starts_with("def looks_like_code_inside")),
        "{cuts:?}"
    );
    let (out, _) = redact_one(&engine(), &src, Some("python"));
    // A whole parse sees a string there, declaring nothing; the real functions are renamed.
    assert!(out.contains("def looks_like_code_inside():"), "{out}");
    assert!(!out.contains("compute_total_7"), "{out}");
}

#[test]
fn a_block_with_syntax_errors_cut_in_pieces_renames_what_a_whole_parse_declares() {
    // Clean functions; an `if` whose `else:` a cut falls before (that piece is broken only because
    // its statement started in the piece before); a docstring a cut falls inside; more
    // functions; and an end cut off.
    let more: String = (0..20)
        .map(|i| {
            format!("def reconcile_batch_{i}(ledger_rows_{i}):\n    return ledger_rows_{i}\n\n")
        })
        .collect();
    let settings: String = (0..60)
        .map(|i| format!("    setting_{i} = {i}\n"))
        .collect();
    let src = format!(
        "{}if FEATURE_ON:\n{settings}\nelse:\n    def fallback_encoder(payload_bytes):\n        return payload_bytes\n\nDOC = \"\"\"\n{}\ndef looks_like_code_inside():\n    pass\n\"\"\"\n\n{more}def settle_invoice_batch(invoice_rows, (((\n",
        python_functions(40),
        "text\n".repeat(200),
    );
    let python = lang::from_name("python").unwrap();
    // Cut as the engine cuts a request of this one block on two cores.
    let cuts = lang::pieces(&src, lang::piece_goal(src.len() / 2));
    assert!(
        cuts.iter().any(|c| src[c.clone()].starts_with("else:")),
        "{cuts:?}"
    );
    let analyses: Vec<lang::Analysis> = cuts
        .iter()
        .map(|c| python.analyze(&src[c.clone()]))
        .collect();
    // The cut leaves clean pieces before the broken ones, which the engine keeps (whether it kept
    // them is `lang::tests`' to check: the names come out the same either way).
    assert!(lang::reparse_from(&analyses) > Some(0), "{cuts:?}");
    let (out, r) = redact_one(&engine(), &src, Some("python"));
    assert!(out.contains("def looks_like_code_inside():"), "{out}");
    for name in [
        "compute_total_0",
        "compute_total_19",
        "reconcile_batch_0",
        "reconcile_batch_19",
        "ledger_rows_7",
        "fallback_encoder",
    ] {
        assert!(!out.contains(name), "{name} survived:\n{out}");
    }
    let whole_functions = python
        .analyze(&src)
        .declarations
        .iter()
        .filter(|d| d.mutable && d.kind == lang::Kind::Function)
        .count();
    assert_eq!(
        r.identifiers.get("function"),
        Some(&whole_functions),
        "{:?}",
        r.identifiers
    );
}

#[test]
fn a_comment_in_column_0_inside_a_class_keeps_its_methods_methods() {
    // Python allows the comment there; cutting before it would parse the second half's methods
    // cleanly, as functions.
    let methods = |from: usize| -> String {
        (from..from + 25)
            .map(|i| format!("    def handle_event_{i}(self, event_payload):\n        return event_payload\n\n"))
            .collect()
    };
    let src = format!(
        "class EventRouter:\n{}# helpers below\n\n{}",
        methods(0),
        methods(25)
    );
    let (_, r) = redact_one(&engine(), &src, Some("python"));
    assert_eq!(
        r.identifiers.get("method"),
        Some(&50),
        "{:?}",
        r.identifiers
    );
    assert_eq!(r.identifiers.get("function"), None, "{:?}", r.identifiers);
}

/// A text's secrets and its PII and terms are found apart (on two cores) and merged after: a
/// value two finders overlap is protected whole, as the strongest kind.
#[test]
fn secrets_and_literals_found_apart_merge_into_one_span_each() {
    let term = |span: Range<usize>| ProtectedSpan {
        span,
        what: Protected::Literal(None),
    };
    let email = |span: Range<usize>| ProtectedSpan {
        span,
        what: Protected::Literal(Some(pii::Kind::Email)),
    };
    let a = merge_spans(
        vec![(10..30, 7), (50..60, 2)],
        vec![term(25..40), email(0..12), email(70..80), term(75..90)],
    );
    let spans: Vec<(Range<usize>, &str)> = a
        .protected
        .iter()
        .map(|p| {
            let what = match p.what {
                Protected::Secret(_) => "secret",
                Protected::Literal(Some(_)) => "pii",
                Protected::Literal(None) => "term",
            };
            (p.span.clone(), what)
        })
        .collect();
    assert_eq!(
        spans,
        [(0..40, "secret"), (50..60, "secret"), (70..90, "pii")]
    );
    assert_eq!(a.secrets, [(0..40, 7), (50..60, 2)]);
    assert_eq!(a.literals, [(70..90, Some(pii::Kind::Email))]);
}

/// Another process stores the same names between this request's view of the vault and its
/// write (a test hook runs it there): the request goes out with that process's replacements,
/// though it had rewritten its texts with its own meanwhile, restores from them, and keeps them
/// in later turns.
#[test]
fn names_another_process_stored_first_replace_the_request_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pretense.db");
    let code = ledger_batch_code();
    assert!(
        code.len() >= PARALLEL_MIN_BYTES,
        "the vault's write goes beside the rewrite"
    );
    let input = || typescript(&code);
    let config = Config::default();
    // What this engine writes when no other process gets in its way.
    let own = Engine::new(
        &config,
        NamingKey::from_bytes([42; 32]),
        Arc::new(Vault::open_in_memory().unwrap()),
    )
    .unwrap()
    .redact(&[input()])
    .unwrap()
    .texts[0]
        .clone();
    let own = String::from_utf8(own).unwrap();
    let (here, other) = (engine_on(&path, 42), engine_on(&path, 7));
    let theirs = Arc::new(Mutex::new(String::new()));
    let (keep, same_code) = (theirs.clone(), code.clone());
    crate::mutate::vault::before_record::register(&path, move || {
        *keep.lock().unwrap() = redact_one(&other, &same_code, Some("typescript")).0;
    });
    // What the caller does before the request leaves (the proxy's egress check) ran on each
    // rewrite, and its answer on the one with the stored names is returned.
    let mut seen = Vec::new();
    let (r, last) = here
        .redact_then(&[input()], |r| {
            let out = String::from_utf8(r.texts[0].clone()).unwrap();
            seen.push(out.clone());
            out
        })
        .unwrap();
    let theirs = theirs.lock().unwrap().clone();
    assert!(!theirs.is_empty(), "the other process wrote first");
    assert_ne!(theirs, own, "the two processes name differently");
    assert_eq!(seen, [own.clone(), theirs.clone()]);
    assert_eq!(last, theirs);
    assert!(
        !theirs.contains("ops.lead@"),
        "the address is a placeholder too: {theirs}"
    );
    let out = String::from_utf8(r.texts[0].clone()).unwrap();
    assert_eq!(out, theirs, "the request went out with the stored names");
    assert_eq!(here.restore(Some(&r), &out), code);
    assert_eq!(
        here.restore(None, &out),
        code,
        "and the vault restores them"
    );
    // The next turn (its memo) keeps them.
    let next = here.redact(&[input()]).unwrap().texts[0].clone();
    assert_eq!(String::from_utf8(next).unwrap(), theirs);
}

/// Code quoted once more — a tool call's JSON arguments, or an answer's text echoed into them —
/// writes the code's `\n` as `\\n`: the name after it is still renamed (it leaked before), the
/// egress check sees it, and the replacement comes back in either encoding.
#[test]
fn names_after_an_escape_in_code_quoted_once_more() {
    let e = engine();
    let code =
        "function reconcileLedgerEntries(): void {}\nconsole.log(\"\\nreconcileLedgerEntries\");\n";
    let arguments = serde_json::json!({ "code": code }).to_string();
    assert!(
        arguments.contains(r#"\\nreconcileLedgerEntries"#),
        "{arguments}"
    );
    let inputs = [
        Input {
            text: code.as_bytes(),
            lang: lang::from_name("typescript"),
            path: None,
        },
        Input::text(&arguments),
    ];
    let r = e.redact(&inputs).unwrap();
    let [plain, quoted] = [0, 1].map(|i| String::from_utf8(r.texts[i].clone()).unwrap());
    for out in [&plain, &quoted] {
        assert!(!out.to_lowercase().contains("reconcile"), "{out}");
        assert_eq!(r.egress_violation(out), None);
    }
    assert_eq!(e.restore(Some(&r), &quoted), arguments);
    assert_eq!(e.restore(Some(&r), &plain), code);
    // The answer's text echoed into a tool call's arguments: encoded once more on the way back.
    let echoed = serde_json::json!({ "code": plain }).to_string();
    assert_eq!(e.restore(Some(&r), &echoed), arguments);
    // The egress check finds the name after `\\n` too, were a path to miss it.
    assert!(r.egress_violation(&arguments).is_some());
}

/// An engine that learned `UserShard` and `idQuota` in earlier turns; each of `texts` is then
/// redacted alone, checked to hide `hidden` (case-insensitive), to pass the egress check and to
/// restore.
fn redacts_after_user_shard_and_id_quota(texts: &[&str], hidden: &str) {
    let e = engine();
    redact_one(&e, "let UserShard = 1;\n", Some("typescript"));
    redact_one(&e, "let idQuota = 1;\n", Some("typescript"));
    for text in texts {
        let (out, r) = redact_one(&e, text, None);
        assert!(!out.to_lowercase().contains(hidden), "{text} -> {out}");
        assert_eq!(r.egress_violation(&out), None, "{text} -> {out}");
        assert_eq!(e.restore(Some(&r), &out), *text);
    }
}

/// `\u` is an escape only with its four hex digits (`\x` with one or two, `\U` with eight):
/// `\userShard…` (a Windows path, `C:\Users\userShard…`) is read as written, and both known
/// names in it are renamed (a later turn was refused by the egress check before).
#[test]
fn a_backslash_u_without_hex_digits_is_no_escape() {
    redacts_after_user_shard_and_id_quota(
        &[
            r"\userShardIdQuota",
            r"C:\Users\userShardIdQuota\x",
            r"\xyzUserShard",
        ],
        "shard",
    );
}

/// A compound of two known names after a real escape (`\tundraShardIdQuota`: the escape's letter
/// starts the token) is renamed where it matches, passes the egress check and restores.
#[test]
fn a_compound_after_an_escape_passes_the_egress_check() {
    redacts_after_user_shard_and_id_quota(
        &[
            r"\tundraShardIdQuota",
            r"\nodeShardIdQuota",
            r"\refreshShardIdQuota",
        ],
        "idquota",
    );
}

/// Code that declares forty names and holds an email address: enough new entries for a write.
fn ledger_batch_code() -> String {
    (0..40)
        .map(|i| {
            format!(
                "function settleLedgerBatch{i}(amountDue{i}: number) {{ return amountDue{i}; }}\n"
            )
        })
        .chain(["// escalate to ops.lead@acme-payments.io\n".to_string()])
        .collect()
}

fn typescript(code: &str) -> Input<'_> {
    Input {
        text: code.as_bytes(),
        lang: lang::from_name("typescript"),
        path: None,
    }
}

/// An engine with the naming key `[key; 32]` on the vault at `path`.
fn engine_on(path: &std::path::Path, key: u8) -> Engine {
    let vault = Arc::new(Vault::open(path).unwrap());
    Engine::new(&Config::default(), NamingKey::from_bytes([key; 32]), vault).unwrap()
}

/// The proxy's rewrite of `code` (TypeScript): the redaction and the write left for later.
fn store_later(e: &Engine, code: &str) -> (Redaction, Option<PendingWrite>) {
    let (r, (), write) = e
        .redact_then_store_later(&[typescript(code)], |_| ())
        .unwrap();
    (r, write)
}

/// The vault's rows whose original is `original`.
fn rows_for(vault: &Vault, original: &str) -> usize {
    vault
        .list(None)
        .unwrap()
        .iter()
        .filter(|e| e.display() == original)
        .count()
}

/// The proxy's way: the rewrite returns before the vault has the names it learned; storing them
/// afterwards writes them, and only then are the texts' memos kept for the next turn, which
/// rewrites the same way.
#[test]
fn a_rewrite_that_stores_later_returns_before_its_names_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(Vault::open(&dir.path().join("pretense.db")).unwrap());
    let e = engine_with(&Config::default(), vault.clone());
    let code = ledger_batch_code();
    let mut checked = 0;
    let (r, (), write) = e
        .redact_then_store_later(&[typescript(&code)], |_| checked += 1)
        .unwrap();
    assert_eq!(checked, 1, "`after` runs once");
    let out = String::from_utf8(r.texts[0].clone()).unwrap();
    assert!(
        !out.contains("settleLedgerBatch7") && !out.contains("ops.lead@"),
        "{out}"
    );
    assert_eq!(
        e.restore(Some(&r), &out),
        code,
        "the rewrite restores on its own"
    );
    assert_eq!(rows_for(&vault, "settleLedgerBatch7"), 0, "not written yet");
    // A turn that only mentions a name (no code: prose, or after a `previous_response_id`)
    // renames it before the write: the names are in memory from the rewrite on.
    let prose = "Why does settleLedgerBatch7 return amountDue7?";
    let (mention, (), nothing) = e
        .redact_then_store_later(&[Input::text(prose)], |_| ())
        .unwrap();
    let mention = String::from_utf8(mention.texts[0].clone()).unwrap();
    assert!(
        !mention.contains("settleLedgerBatch7") && !mention.contains("amountDue7"),
        "{mention}"
    );
    assert!(nothing.is_none(), "nothing new to store");
    let stored = write.expect("names to store").store().unwrap();
    assert_eq!(stored.changed, 0);
    assert!(stored.entries >= 81, "{stored:?}");
    assert_eq!(rows_for(&vault, "settleLedgerBatch7"), 1);
    assert_eq!(rows_for(&vault, "ops.lead@acme-payments.io"), 1);
    assert_eq!(e.restore(None, &out), code, "the vault restores them now");
    // The next turn rewrites the same way and has nothing new to store.
    let (next, write) = store_later(&e, &code);
    assert_eq!(next.texts[0], r.texts[0]);
    assert!(write.is_none());
}

/// A request of this process that comes before the last one's write finds its names in memory
/// and has nothing to store; another process with the same key (a second daemon, the CLI) learns
/// them again with the same replacements (they are derived from the names): storing both
/// changes nothing.
#[test]
fn rewrites_before_a_write_agree_on_its_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pretense.db");
    let (here, elsewhere) = (engine_on(&path, 42), engine_on(&path, 42));
    let code = ledger_batch_code();
    let (a, first) = store_later(&here, &code);
    let (b, nothing) = store_later(&here, &code);
    assert_eq!(a.texts[0], b.texts[0]);
    assert!(nothing.is_none());
    let (c, second) = store_later(&elsewhere, &code);
    assert_eq!(a.texts[0], c.texts[0]);
    assert_eq!(first.unwrap().store().unwrap().changed, 0);
    assert_eq!(second.expect("learned again").store().unwrap().changed, 0);
}

/// Another process stores the same originals with its own replacements before this request's
/// write (a test hook runs it there). The request had already gone out with its own; storing
/// says so, the rewrite still restores, and later turns use what the vault holds.
#[test]
fn a_later_write_beaten_by_another_process_leaves_later_turns_the_vault_s_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pretense.db");
    let (here, other) = (engine_on(&path, 42), engine_on(&path, 7));
    let code = ledger_batch_code();
    let (r, write) = store_later(&here, &code);
    let ours = String::from_utf8(r.texts[0].clone()).unwrap();
    let theirs = Arc::new(Mutex::new(String::new()));
    let (keep, same_code) = (theirs.clone(), code.clone());
    crate::mutate::vault::before_record::register(&path, move || {
        *keep.lock().unwrap() = redact_one(&other, &same_code, Some("typescript")).0;
    });
    let stored = write.unwrap().store().unwrap();
    let theirs = theirs.lock().unwrap().clone();
    assert_ne!(theirs, ours, "the two processes name differently");
    assert_eq!(stored.changed, stored.entries, "{stored:?}");
    assert_eq!(
        here.restore(Some(&r), &ours),
        code,
        "what went out still restores"
    );
    assert_eq!(redact_one(&here, &code, Some("typescript")).0, theirs);
    assert_eq!(here.restore(None, &theirs), code);
}

/// Another process holds the vault's write lock: the rewrite does not wait for it (it would
/// wait here for the busy timeout, then fail, were it writing), and the write goes through once
/// the lock is released.
#[test]
fn a_rewrite_that_stores_later_does_not_wait_for_a_locked_vault() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pretense.db");
    let vault = Arc::new(Vault::open(&path).unwrap());
    let e = engine_with(&Config::default(), vault.clone());
    let holder = Vault::open(&path).unwrap();
    holder
        .with_conn(|c| c.execute_batch("BEGIN IMMEDIATE"))
        .unwrap();
    let code = ledger_batch_code();
    let (r, write) = store_later(&e, &code);
    let out = String::from_utf8(r.texts[0].clone()).unwrap();
    assert!(!out.contains("settleLedgerBatch7"), "{out}");
    let write = write.unwrap();
    let storing = std::thread::spawn(move || write.store());
    holder.with_conn(|c| c.execute_batch("ROLLBACK")).unwrap();
    assert_eq!(storing.join().unwrap().unwrap().changed, 0);
    assert_eq!(rows_for(&vault, "settleLedgerBatch7"), 1);
}

/// Another process writes between a rewrite and its write, and this process reads the vault
/// again: the names waiting for the write stay in memory, so a mention of one is renamed before
/// the write and after it.
#[test]
fn a_reload_before_a_write_keeps_the_names_waiting_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pretense.db");
    let (here, other) = (engine_on(&path, 42), engine_on(&path, 7));
    let code = ledger_batch_code();
    let (_, write) = store_later(&here, &code);
    let generation = here.vault.view().unwrap().generation();
    other
        .redact(&[typescript("function unrelatedHelperName(): void {}\n")])
        .unwrap();
    let mention = || redact_one(&here, "Why does settleLedgerBatch7 fail?", None).0;
    let before = mention();
    assert_ne!(
        here.vault.view().unwrap().generation(),
        generation,
        "this process read the vault again"
    );
    assert!(!before.contains("settleLedgerBatch7"), "{before}");
    assert_eq!(write.unwrap().store().unwrap().changed, 0);
    // Read again once more: the names come from the database now.
    other
        .redact(&[typescript("function anotherHelperName(): void {}\n")])
        .unwrap();
    let after = mention();
    assert!(!after.contains("settleLedgerBatch7"), "{after}");
    assert_eq!(before, after);
}
