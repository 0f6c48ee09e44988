//! The check registry (`diagnostic::Check::ALL`): codes and names are a contract (JSON,
//! SARIF rule ids, suppressions, configuration), so each must be unique and well formed, and
//! each must look its check up again.

use std::collections::BTreeMap;

use depwindow::diagnostic::Check;

#[test]
fn every_check_code_and_name_is_unique_and_well_formed() {
    assert!(!Check::ALL.is_empty());
    // One map over codes and names together: a name may not equal another check's code
    // either, since suppressions and configuration accept both.
    let mut seen: BTreeMap<String, Check> = BTreeMap::new();
    for &c in Check::ALL {
        let code = c.code();
        assert!(
            code.len() == 5
                && code.starts_with("DW")
                && code[2..].bytes().all(|b| b.is_ascii_digit()),
            "{c:?}: code `{code}` is not DW + three digits"
        );
        let name = c.name();
        assert!(
            !name.is_empty()
                && !name.starts_with('-')
                && !name.ends_with('-')
                && !name.contains("--")
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{c:?}: name `{name}` is not kebab-case"
        );
        for key in [code.to_ascii_lowercase(), name.to_string()] {
            if let Some(other) = seen.insert(key.clone(), c) {
                panic!("`{key}` is used by both {other:?} and {c:?}");
            }
        }
        assert_eq!(Check::from_str_loose(code), Some(c), "{code}");
        assert_eq!(Check::from_str_loose(&code.to_ascii_lowercase()), Some(c));
        assert_eq!(Check::from_str_loose(name), Some(c), "{name}");
    }
    // No check listed twice.
    assert_eq!(seen.len(), 2 * Check::ALL.len());
}
