//! `whoami` and `contacts`: the one pasteable sharing line, and contacts added, listed, renamed and removed.

use crate::common::*;
use serde_json::json;

#[test]
fn whoami_prints_one_pasteable_line_and_contacts_are_added_listed_and_removed() {
    let (a, b) = (Sandbox::init(), Sandbox::init());
    let out = a.run(&["whoami"]).ok();
    let me = whoami(&a);
    let line = ka_str(&me);
    assert!(line.starts_with("keystead-share1:age1"), "{line}");
    assert!(
        out.stdout.lines().any(|l| l == line),
        "the sharing key is not on a line of its own\n{}",
        out.describe()
    );
    assert!(out.stdout.contains(me["fingerprint"].as_str().unwrap()));

    let kb = whoami(&b);
    let added = a.run(&["contacts", "add", "bob", ka_str(&kb)]).ok();
    assert!(
        added.stdout.contains(kb["fingerprint"].as_str().unwrap()),
        "{}",
        added.describe()
    );
    a.run(&["contacts", "add", "bob", ka_str(&kb)])
        .fails(2)
        .stderr_mentions("already exists");
    a.run(&["contacts", "add", "eve", "age1nope"])
        .fails(2)
        .stderr_mentions("not a sharing key");
    a.run(&[
        "contacts",
        "add",
        "age-only",
        kb["age_recipient"].as_str().unwrap(),
    ])
    .fails(2)
    .stderr_mentions("already your contact 'bob'");
    a.run(&["contacts", "rename", "bob", "bobby"]).ok();

    let list = a.run(&["contacts", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["name"], "bobby");
    assert_eq!(list[0]["fingerprint"], kb["fingerprint"]);
    assert_eq!(list[0]["can_verify"], true);
    let table = a.run(&["contacts", "list"]).ok();
    assert!(table.stdout.contains("bobby"), "{}", table.describe());

    a.run(&["contacts", "remove", "bobby"]).ok();
    a.run(&["contacts", "remove", "bobby"])
        .fails(2)
        .stderr_mentions("no contact named");
    assert_eq!(
        a.run(&["contacts", "list", "--json"]).ok().json(),
        json!([])
    );
    let actions: Vec<String> = a
        .changes()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "vault_created",
            "contact_added",
            "contact_renamed",
            "contact_removed"
        ]
    );
}
