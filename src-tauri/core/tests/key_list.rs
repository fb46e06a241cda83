//! The key list's index over a real vault: search, filters, sort, grouping, windows and the
//! selection's ranges, as the app's table asks for them.

mod common;

use chrono::Duration;
use common::{fields_for, key, Sandbox};
use keystead_core::key_list::{
    DueFilter, GroupBy, KeyListIndex, ListQuery, ListRow, SortColumn, SortDirection, SortOrder,
    PERSONAL,
};
use keystead_core::{Clock, Environment, KeyStatus, NewKey, Vault};

fn add(v: &mut Vault, new: NewKey) {
    let exchange = new.exchange.clone();
    let name = new.name.clone();
    v.add(new, fields_for(&exchange, &name)).unwrap();
}

/// Eight keys with something to find, filter, sort and group by in each.
fn vault() -> (Sandbox, Vault) {
    let sb = Sandbox::new();
    let mut v = sb.open();
    let now = sb.clock.now();
    add(
        &mut v,
        NewKey {
            account: Some("main".into()),
            tags: vec!["Arb".into()],
            used_by: vec!["freqtrade@vps1".into()],
            expires_at: Some(now + Duration::days(3)),
            ..key("key 10", "binance", &["read", "trade"])
        },
    );
    add(
        &mut v,
        NewKey {
            used_by: vec!["hummingbot".into(), "freqtrade".into()],
            expires_at: Some(now + Duration::days(200)),
            ..key("key 2", "kraken", &["read", "withdraw"])
        },
    );
    add(
        &mut v,
        NewKey {
            environment: Some(Environment::Testnet),
            ..key("Alpha", "binance", &["read"])
        },
    );
    add(
        &mut v,
        NewKey {
            account: Some("sub-1".into()),
            expires_at: Some(now + Duration::days(1)),
            ..key("beta", "bybit", &["read", "withdraw"])
        },
    );
    add(&mut v, key("gamma", "okx", &["read"]));
    add(
        &mut v,
        NewKey {
            used_by: vec!["hummingbot".into()],
            ..key("delta", "kraken", &["trade"])
        },
    );
    add(&mut v, key("epsilon", "coinbase", &["read"]));
    add(&mut v, key("zeta", "binance", &["withdraw"]));
    v.revoke("zeta", None).unwrap();
    (sb, v)
}

fn index(v: &Vault) -> KeyListIndex {
    KeyListIndex::new(v.list().unwrap())
}

fn names(index: &mut KeyListIndex, query: &ListQuery) -> Vec<String> {
    index
        .page(query, 0, 1_000)
        .rows
        .into_iter()
        .map(|r| match r {
            ListRow::Group { label, count } => format!("[{label} {count}]"),
            ListRow::Key { key, .. } => key.name,
        })
        .collect()
}

fn sorted(column: SortColumn, direction: SortDirection) -> ListQuery {
    ListQuery {
        sort: SortOrder { column, direction },
        ..ListQuery::default()
    }
}

#[test]
fn names_sort_in_natural_order_ignoring_case_both_ways() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let up = names(&mut ix, &sorted(SortColumn::Name, SortDirection::Ascending));
    assert_eq!(
        up,
        ["Alpha", "beta", "delta", "epsilon", "gamma", "key 2", "key 10", "zeta"]
    );
    let down = names(
        &mut ix,
        &sorted(SortColumn::Name, SortDirection::Descending),
    );
    assert_eq!(down, up.iter().rev().cloned().collect::<Vec<_>>());
}

#[test]
fn keys_without_a_due_date_come_last_whichever_way_due_is_sorted() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let up = names(&mut ix, &sorted(SortColumn::Due, SortDirection::Ascending));
    assert_eq!(&up[..3], ["beta", "key 10", "key 2"]);
    let down = names(&mut ix, &sorted(SortColumn::Due, SortDirection::Descending));
    assert_eq!(&down[..3], ["key 2", "key 10", "beta"]);
    // The rest keep the vault's order (by name) in both directions: the sort is stable.
    assert_eq!(&up[3..], &down[3..]);
    assert_eq!(&up[3..], ["Alpha", "delta", "epsilon", "gamma", "zeta"]);
}

#[test]
fn every_word_of_the_search_must_appear_in_name_exchange_account_tags_or_bots() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let find = |ix: &mut KeyListIndex, text: &str| {
        let q = ListQuery {
            text: text.into(),
            sort: SortOrder {
                column: SortColumn::Name,
                direction: SortDirection::Ascending,
            },
            ..ListQuery::default()
        };
        names(ix, &q)
    };
    assert_eq!(find(&mut ix, "KRAKEN"), ["delta", "key 2"]);
    assert_eq!(find(&mut ix, "hummingbot kraken"), ["delta", "key 2"]);
    assert_eq!(find(&mut ix, "freqtrade@vps1"), ["key 10"]);
    assert_eq!(find(&mut ix, "arb main"), ["key 10"]);
    assert_eq!(find(&mut ix, "sub-1"), ["beta"]);
    assert_eq!(find(&mut ix, "  "), find(&mut ix, ""));
    assert!(find(&mut ix, "kraken nothing-like-this").is_empty());
}

#[test]
fn filters_narrow_the_view_and_the_counts_stay_the_vaults() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let q = |f: fn(&mut ListQuery)| {
        let mut q = sorted(SortColumn::Name, SortDirection::Ascending);
        f(&mut q);
        q
    };
    assert_eq!(
        names(&mut ix, &q(|q| q.exchange = "binance".into())),
        ["Alpha", "key 10", "zeta"]
    );
    assert_eq!(
        names(&mut ix, &q(|q| q.environment = Some(Environment::Testnet))),
        ["Alpha"]
    );
    assert_eq!(
        names(&mut ix, &q(|q| q.status = Some(KeyStatus::Revoked))),
        ["zeta"]
    );
    assert_eq!(
        names(&mut ix, &q(|q| q.bot = "freqtrade".into())),
        ["key 2", "key 10"]
    );
    assert_eq!(
        names(&mut ix, &q(|q| q.due = Some(DueFilter::Attention))),
        ["beta", "key 10"]
    );
    assert_eq!(
        names(&mut ix, &q(|q| q.due = Some(DueFilter::DueSoon))),
        ["beta", "key 10"]
    );
    assert_eq!(names(&mut ix, &q(|q| q.team = PERSONAL.into())).len(), 8);
    assert!(names(&mut ix, &q(|q| q.team = "desk".into())).is_empty());

    let page = ix.page(&q(|q| q.exchange = "kraken".into()), 0, 50);
    assert_eq!((page.total, page.shown, page.row_count), (8, 2, 2));
    let c = page.facets.counts;
    assert_eq!((c.keys, c.due_soon, c.overdue), (8, 2, 0));
    // Active keys that can withdraw: key 2 and beta; zeta is revoked.
    assert_eq!(c.withdraw, 2);
    let exchanges: Vec<_> = page
        .facets
        .exchanges
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(exchanges, ["binance", "bybit", "coinbase", "kraken", "okx"]);
    assert_eq!(page.facets.bots, ["freqtrade", "hummingbot"]);
    assert!(page.facets.teams.is_empty());
}

#[test]
fn grouping_puts_each_key_under_one_header_and_the_keys_of_none_last() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let mut q = sorted(SortColumn::Name, SortDirection::Ascending);
    q.group_by = GroupBy::Bot;
    assert_eq!(
        names(&mut ix, &q),
        [
            "[freqtrade 1]",
            "key 10",
            "[freqtrade + hummingbot 1]",
            "key 2",
            "[hummingbot 1]",
            "delta",
            "[Used by no bot 5]",
            "Alpha",
            "beta",
            "epsilon",
            "gamma",
            "zeta"
        ]
    );
    q.group_by = GroupBy::Account;
    let rows = names(&mut ix, &q);
    assert_eq!(rows[0], "[main 1]");
    assert_eq!(rows.last().map(String::as_str), Some("zeta"));
    assert!(rows.contains(&"[No account 6]".to_string()));

    let page = ix.page(&q, 0, 100);
    let heads: Vec<_> = page
        .groups
        .iter()
        .map(|g| (g.label.as_str(), g.row, g.first_key))
        .collect();
    assert_eq!(
        heads,
        [("main", 0, 0), ("sub-1", 2, 1), ("No account", 4, 2)]
    );
}

#[test]
fn a_window_holds_only_its_rows_and_knows_each_keys_place() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let mut q = sorted(SortColumn::Name, SortDirection::Ascending);
    q.group_by = GroupBy::Account;
    // Rows 3..6 of: [main] key10 [sub-1] beta [No account] Alpha delta …
    let page = ix.page(&q, 3, 3);
    assert_eq!((page.start, page.rows.len(), page.row_count), (3, 3, 11));
    let got: Vec<String> = page
        .rows
        .iter()
        .map(|r| match r {
            ListRow::Group { label, .. } => format!("[{label}]"),
            ListRow::Key { key, index } => format!("{}#{index}", key.name),
        })
        .collect();
    assert_eq!(got, ["beta#1", "[No account]", "Alpha#2"]);
    // Past the end: empty, never a panic.
    let page = ix.page(&q, 500, 40);
    assert_eq!((page.start, page.rows.len()), (11, 0));
}

#[test]
fn ranges_all_and_the_selection_follow_the_order_shown() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let q = sorted(SortColumn::Name, SortDirection::Ascending);
    let all = ix.ids(&q, None, None);
    assert_eq!(all.len(), 8);
    let id = |name: &str| v.find(name).unwrap().id;
    let range = ix.ids(&q, Some(id("gamma")), Some(id("beta")));
    let range_names: Vec<_> = range
        .iter()
        .map(|i| ix.get(i).unwrap().name.clone())
        .collect();
    assert_eq!(range_names, ["beta", "delta", "epsilon", "gamma"]);
    // An anchor the search hides: the range is the one key.
    let mut kraken = q.clone();
    kraken.text = "kraken".into();
    assert_eq!(
        ix.ids(&kraken, Some(id("gamma")), Some(id("delta"))),
        [id("delta")]
    );
    assert!(ix.ids(&kraken, None, Some(id("gamma"))).is_empty());
    // The selection after a search: only the keys still shown, in the order shown.
    let kept = ix.selected(&kraken, &[id("key 2"), id("gamma"), id("delta")]);
    assert_eq!(kept.ids, [id("delta"), id("key 2")]);
    assert_eq!(kept.names, ["delta", "key 2"]);
    let mut tags: Vec<String> = ["delta", "key 2"]
        .iter()
        .flat_map(|n| v.find(n).unwrap().tags)
        .collect();
    tags.sort();
    tags.dedup();
    assert_eq!(kept.tags, tags, "every tag of the keys kept, each once");
    let active: Vec<_> = ["delta", "key 2"]
        .iter()
        .filter(|n| v.find(n).unwrap().status == KeyStatus::Active)
        .map(|n| id(n))
        .collect();
    assert_eq!(kept.active, active);
    // Ctrl+A over many keys: every id, but only the first names.
    let everything = ix.selected(&q, &all);
    assert_eq!(everything.ids, all);
    assert_eq!(
        everything.names.len(),
        all.len().min(keystead_core::key_list::SELECTED_NAMES)
    );
}

#[test]
fn a_fresh_row_replaces_the_old_one_and_the_view_follows() {
    let (_sb, mut v) = vault();
    let mut ix = index(&v);
    let q = ListQuery {
        text: "renamed".into(),
        ..ListQuery::default()
    };
    assert!(names(&mut ix, &q).is_empty());
    let id = v.find("gamma").unwrap().id;
    v.edit(
        "gamma",
        keystead_core::KeyEdit {
            name: Some("gamma renamed".into()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let fresh = v.list().unwrap().into_iter().find(|k| k.id == id).unwrap();
    assert!(ix.replace(fresh));
    assert_eq!(names(&mut ix, &q), ["gamma renamed"]);
    // Among the keys of no due date (the default sort's ties), it keeps its place by name as if listed
    // again.
    let all = names(&mut ix, &ListQuery::default());
    let fresh_order = names(&mut index(&v), &ListQuery::default());
    assert_eq!(all, fresh_order);
}

#[test]
fn the_index_debug_output_names_no_key() {
    let (_sb, v) = vault();
    let ix = index(&v);
    let debug = format!("{ix:?}");
    assert!(
        !debug.contains("gamma") && debug.contains("keys: 8"),
        "{debug}"
    );
}

#[test]
fn environments_and_statuses_sort_in_their_own_order_and_words_never_match_across_fields() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let env = names(
        &mut ix,
        &sorted(SortColumn::Environment, SortDirection::Ascending),
    );
    // Production first (by name among them), testnet last.
    assert_eq!(env.last().map(String::as_str), Some("Alpha"));
    let status = names(
        &mut ix,
        &sorted(SortColumn::Status, SortDirection::Descending),
    );
    assert_eq!(status[0], "zeta");
    // "kraken" + "hummingbot" are two fields of delta: typed as one word they are not found.
    let q = ListQuery {
        text: "krakenhummingbot".into(),
        ..ListQuery::default()
    };
    assert!(names(&mut ix, &q).is_empty());
}

#[test]
fn the_exchange_sort_is_stable_in_both_directions() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let up = names(
        &mut ix,
        &sorted(SortColumn::Exchange, SortDirection::Ascending),
    );
    assert_eq!(
        &up[..3],
        ["Alpha", "key 10", "zeta"],
        "Binance's keys, by name"
    );
    let down = names(
        &mut ix,
        &sorted(SortColumn::Exchange, SortDirection::Descending),
    );
    assert_eq!(&down[..1], ["gamma"], "OKX first");
    assert_eq!(
        &down[5..],
        ["Alpha", "key 10", "zeta"],
        "Binance's keys last, still by name"
    );
}

#[test]
fn typing_on_narrows_and_deleting_widens_as_a_fresh_search_would() {
    let (_sb, v) = vault();
    let mut ix = index(&v);
    let typed = |ix: &mut KeyListIndex, text: &str| {
        let q = ListQuery {
            text: text.into(),
            group_by: GroupBy::Bot,
            ..ListQuery::default()
        };
        let got = names(ix, &q);
        assert_eq!(got, names(&mut index(&v), &q), "{text:?}");
        got.len()
    };
    let counts: Vec<usize> = [
        "k", "kr", "kraken", "kraken h", "kraken", "k", "", "e", "ep",
    ]
    .iter()
    .map(|t| typed(&mut ix, t))
    .collect();
    assert!(
        counts[2] < counts[0] && counts[6] == 12 && counts[8] < counts[7],
        "{counts:?}"
    );
}

/// What the app does after an add, a rotation or a revocation: the rows the write touched
/// (`rows_touched_by`) put in the index give what a fresh index of the vault gives, in every order.
#[test]
fn the_rows_a_write_touched_put_in_place_give_a_fresh_index() {
    let (_sb, mut v) = vault();
    let mut ix = index(&v);
    let orders = [
        sorted(SortColumn::Name, SortDirection::Ascending),
        sorted(SortColumn::Due, SortDirection::Descending),
        ListQuery {
            group_by: GroupBy::Bot,
            ..ListQuery::default()
        },
    ];
    let check = |ix: &mut KeyListIndex, v: &Vault, step: &str| {
        let mut fresh = index(v);
        for q in &orders {
            assert_eq!(names(ix, q), names(&mut fresh, q), "{step}: {q:?}");
        }
        assert_eq!(ix.facets(), fresh.facets(), "{step}: counts and choices");
        assert_eq!(ix.len(), fresh.len());
    };
    // Warm every order first, so that a stale cached order would show.
    check(&mut ix, &v, "before");
    let new = NewKey {
        used_by: vec!["hummingbot".into()],
        ..key("key 1", "okx", &["read"])
    };
    let added = v.add(new, fields_for("okx", "key 1")).unwrap();
    ix.put(v.rows_touched_by(&[added.id]).unwrap());
    check(&mut ix, &v, "an added key between \"Alpha\" and \"key 2\"");
    let rotated = v
        .rotate("gamma", fields_for("okx", "gamma rotated"), None)
        .unwrap();
    ix.put(v.rows_touched_by(&[rotated.id]).unwrap());
    check(&mut ix, &v, "a rotation");
    let revoked = v.revoke("delta", None).unwrap();
    ix.put(v.rows_touched_by(&[revoked.id]).unwrap());
    check(&mut ix, &v, "a revocation");
}
