//! The key list as a front end shows it: an index of every key's row, built once from
//! [`crate::Vault::list`] and asked for one window of its sorted, filtered and grouped view at a time.
//! Search, filters, sort, grouping and the selection's ranges run here, so a window never holds more
//! than the rows it shows, whatever the vault's size. Never a secret: the rows are [`KeySummary`]s.

use crate::due::DueState;
use crate::model::{Environment, KeyStatus};
use crate::view::KeySummary;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// The team filter's choice for the keys of no team (no team's name starts with a space: names are
/// trimmed).
pub const PERSONAL: &str = " personal";

/// What the list shows: every filter must match; `text`'s words must each appear in the key's name,
/// exchange, account, team, tags or bots (case ignored).
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub text: String,
    /// An exchange id, or "" for every exchange.
    pub exchange: String,
    pub environment: Option<Environment>,
    pub due: Option<DueFilter>,
    pub status: Option<KeyStatus>,
    /// A bot the key is used by (any host), or "" for any.
    pub bot: String,
    /// A team's name, [`PERSONAL`] for the keys of no team, or "" for any.
    pub team: String,
    pub sort: SortOrder,
    pub group_by: GroupBy,
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueFilter {
    /// Due soon, overdue or expired.
    Attention,
    Ok,
    DueSoon,
    Overdue,
    Expired,
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SortOrder {
    pub column: SortColumn,
    pub direction: SortDirection,
}

impl Default for SortOrder {
    fn default() -> Self {
        Self {
            column: SortColumn::Due,
            direction: SortDirection::Ascending,
        }
    }
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    Name,
    Exchange,
    Environment,
    Due,
    LastUsed,
    Status,
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDirection {
    Ascending,
    Descending,
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    None,
    Exchange,
    Account,
    Bot,
}

/// A group's header in the view: its label, its keys, and the row it sits in.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListGroup {
    pub label: String,
    pub count: u32,
    /// The header's row; its keys are the `count` rows below it.
    pub row: u32,
    /// The place of its first key among the shown keys.
    pub first_key: u32,
}

/// One row of a window: a group's header, or a key with its place among the shown keys.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ListRow {
    Group { label: String, count: u32 },
    Key { key: Box<KeySummary>, index: u32 },
}

/// The summary strip: every key in the vault, due soon, overdue or expired, active keys that can
/// withdraw.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ListCounts {
    pub keys: u32,
    pub due_soon: u32,
    pub overdue: u32,
    pub withdraw: u32,
}

/// An exchange present in the vault, for the exchange filter.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListExchange {
    pub id: String,
    pub name: String,
}

/// What the filters offer and the summary strip counts, over the whole vault.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListFacets {
    pub counts: ListCounts,
    pub exchanges: Vec<ListExchange>,
    pub bots: Vec<String>,
    pub teams: Vec<String>,
}

/// One window of the view: its rows from `start`, and the view's size.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    /// Keys in the vault.
    pub total: u32,
    /// Keys that match the query.
    pub shown: u32,
    /// Rows of the view: the shown keys and the group headers.
    pub row_count: u32,
    /// Every group header of the view, in order (none without grouping).
    pub groups: Vec<ListGroup>,
    pub start: u32,
    pub rows: Vec<ListRow>,
    pub facets: ListFacets,
}

/// The most rows one window holds (a screen is about 30).
pub const MAX_WINDOW: u32 = 1_000;

struct Indexed {
    key: KeySummary,
    /// Lower-case name, exchange, account, team, tags and bots, joined by NUL: what words are found in.
    haystack: String,
    name_key: String,
    exchange_key: String,
    /// The key's place in [`crate::Vault::list`]'s order: what equal keys keep.
    position: u32,
}

/// The result of the last query: the shown keys in order and the groups, so windows of it are cheap.
struct View {
    query: ListQuery,
    /// The keys that match, in sorted order, before grouping: a query that only types more of the search
    /// text narrows these instead of every key.
    matched: Vec<u32>,
    /// Indexes into `rows`, in the order shown.
    keys: Vec<u32>,
    groups: Vec<ListGroup>,
}

/// Every key's row, with what searching and sorting them needs, and the last query's view.
pub struct KeyListIndex {
    rows: Vec<Indexed>,
    by_id: HashMap<Uuid, u32>,
    facets: ListFacets,
    /// Every key's order by each sort asked for so far (a column and direction), kept until a row changes.
    sorted: HashMap<SortOrder, Vec<u32>>,
    view: Option<View>,
}

impl std::fmt::Debug for KeyListIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyListIndex")
            .field("keys", &self.rows.len())
            .finish_non_exhaustive()
    }
}

fn compare_text(a: &str, b: &str) -> Ordering {
    alphanumeric_sort::compare_str(a, b)
}

fn haystack(key: &KeySummary) -> String {
    let mut parts: Vec<&str> = vec![
        &key.name,
        &key.exchange,
        &key.exchange_name,
        key.account.as_deref().unwrap_or(""),
        key.team.as_deref().unwrap_or(""),
    ];
    parts.extend(key.tags.iter().map(String::as_str));
    let bots: Vec<String> = key.used_by.iter().map(|u| u.to_string()).collect();
    parts.extend(bots.iter().map(String::as_str));
    parts.join("\u{0}").to_lowercase()
}

fn environment_rank(e: Environment) -> u8 {
    match e {
        Environment::Production => 0,
        Environment::Staging => 1,
        Environment::Development => 2,
        Environment::Testnet => 3,
    }
}

fn status_rank(s: KeyStatus) -> u8 {
    match s {
        KeyStatus::Active => 0,
        KeyStatus::Compromised => 1,
        KeyStatus::Revoked => 2,
    }
}

const NO_ACCOUNT: &str = "No account";
const NO_BOT: &str = "Used by no bot";

/// A key's group. A key several bots use is grouped under all of them ("freqtrade + hummingbot"), so
/// each key is in one group and a selection never holds a key twice.
fn group_label(key: &KeySummary, by: GroupBy) -> String {
    match by {
        GroupBy::None => String::new(),
        GroupBy::Exchange => key.exchange_name.clone(),
        GroupBy::Account => match key.account.as_deref().map(str::trim) {
            Some(a) if !a.is_empty() => a.to_string(),
            _ => NO_ACCOUNT.to_string(),
        },
        GroupBy::Bot => {
            let mut bots: Vec<&str> = key.used_by.iter().map(|u| u.bot.as_str()).collect();
            bots.sort_by(|a, b| compare_text(&a.to_lowercase(), &b.to_lowercase()));
            bots.dedup();
            if bots.is_empty() {
                NO_BOT.to_string()
            } else {
                bots.join(" + ")
            }
        }
    }
}

impl KeyListIndex {
    /// The index of `keys`, in [`crate::Vault::list`]'s order (by name).
    pub fn new(keys: Vec<KeySummary>) -> Self {
        let rows: Vec<Indexed> = keys
            .into_iter()
            .enumerate()
            .map(|(i, key)| Indexed {
                haystack: haystack(&key),
                name_key: key.name.to_lowercase(),
                exchange_key: key.exchange_name.to_lowercase(),
                position: u32::try_from(i).unwrap_or(u32::MAX),
                key,
            })
            .collect();
        let by_id = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.id, i as u32))
            .collect();
        let mut index = Self {
            rows,
            by_id,
            facets: ListFacets::default(),
            sorted: HashMap::new(),
            view: None,
        };
        index.facets = index.count_facets();
        index
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every key's row, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &KeySummary> {
        self.rows.iter().map(|r| &r.key)
    }

    /// One key's row.
    pub fn get(&self, id: &Uuid) -> Option<&KeySummary> {
        self.by_id.get(id).map(|&i| &self.rows[i as usize].key)
    }

    /// The first key of that exact name.
    pub fn find_name(&self, name: &str) -> Option<&KeySummary> {
        self.rows.iter().map(|r| &r.key).find(|k| k.name == name)
    }

    /// Every key, in the vault's order (by name), whose status is `status`.
    pub fn with_status(&self, status: KeyStatus) -> Vec<KeySummary> {
        let mut rows: Vec<&Indexed> = self
            .rows
            .iter()
            .filter(|r| r.key.status == status)
            .collect();
        rows.sort_unstable_by_key(|r| r.position);
        rows.into_iter().map(|r| r.key.clone()).collect()
    }

    /// Puts a key's fresh row in place of its old one (after a use moved its "last used"). Only for a
    /// change that leaves the other rows as they are (not a new secret, not a new status); false when
    /// the key is not in the index.
    pub fn replace(&mut self, key: KeySummary) -> bool {
        if !self.by_id.contains_key(&key.id) {
            return false;
        }
        self.put(vec![key]);
        true
    }

    /// Puts fresh rows in place of the old ones and adds the keys not yet in the index: what a write to
    /// those keys leaves. The caller gives every row the write changed (a new secret or status also
    /// changes the "same secret stored twice" flag of the keys sharing it). Costs the rows given plus
    /// one pass over the vault's order when a name changed or a key was added, never a read of every key.
    pub fn put(&mut self, keys: Vec<KeySummary>) {
        let mut reorder = false;
        for key in keys {
            let fresh = Indexed {
                haystack: haystack(&key),
                name_key: key.name.to_lowercase(),
                exchange_key: key.exchange_name.to_lowercase(),
                position: u32::MAX,
                key,
            };
            match self.by_id.get(&fresh.key.id) {
                Some(&i) => {
                    let row = &mut self.rows[i as usize];
                    reorder |= row.key.name != fresh.key.name;
                    *row = Indexed {
                        position: row.position,
                        ..fresh
                    };
                }
                None => {
                    self.by_id.insert(fresh.key.id, self.rows.len() as u32);
                    self.rows.push(fresh);
                    reorder = true;
                }
            }
        }
        if reorder {
            // Equal keys keep the vault's order, which is by name: a new name takes its place in it.
            let mut order: Vec<u32> = (0..self.rows.len() as u32).collect();
            order.sort_by(|&a, &b| {
                let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
                (&ra.name_key, &ra.key.name).cmp(&(&rb.name_key, &rb.key.name))
            });
            for (position, i) in order.into_iter().enumerate() {
                self.rows[i as usize].position = position as u32;
            }
        }
        self.sorted.clear();
        self.view = None;
        self.facets = self.count_facets();
    }

    pub fn facets(&self) -> &ListFacets {
        &self.facets
    }

    fn count_facets(&self) -> ListFacets {
        let mut counts = ListCounts {
            keys: u32::try_from(self.rows.len()).unwrap_or(u32::MAX),
            ..ListCounts::default()
        };
        let mut exchanges: BTreeMap<&str, &str> = BTreeMap::new();
        let mut bots: BTreeSet<&str> = BTreeSet::new();
        let mut teams: BTreeSet<&str> = BTreeSet::new();
        for Indexed { key, .. } in &self.rows {
            match key.due_state {
                DueState::DueSoon => counts.due_soon += 1,
                DueState::Overdue | DueState::Expired => counts.overdue += 1,
                DueState::Ok => {}
            }
            if key.status == KeyStatus::Active
                && key.scopes.contains(&crate::model::Scope::Withdraw)
            {
                counts.withdraw += 1;
            }
            exchanges
                .entry(&key.exchange)
                .or_insert(key.exchange_name.as_str());
            bots.extend(key.used_by.iter().map(|u| u.bot.as_str()));
            if let Some(t) = &key.team {
                teams.insert(t);
            }
        }
        let mut exchanges: Vec<ListExchange> = exchanges
            .into_iter()
            .map(|(id, name)| ListExchange {
                id: id.to_string(),
                name: name.to_string(),
            })
            .collect();
        exchanges.sort_by(|a, b| compare_text(&a.name.to_lowercase(), &b.name.to_lowercase()));
        let by_text = |a: &String, b: &String| compare_text(&a.to_lowercase(), &b.to_lowercase());
        let mut bots: Vec<String> = bots.into_iter().map(str::to_string).collect();
        bots.sort_by(by_text);
        let mut teams: Vec<String> = teams.into_iter().map(str::to_string).collect();
        teams.sort_by(by_text);
        ListFacets {
            counts,
            exchanges,
            bots,
            teams,
        }
    }

    fn compare(&self, a: u32, b: u32, order: SortOrder) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        let (ka, kb) = (&ra.key, &rb.key);
        let times = |x: Option<chrono::DateTime<chrono::Utc>>,
                     y: Option<chrono::DateTime<chrono::Utc>>| match (x, y) {
            // Keys without a time come last whichever way the column is sorted.
            (None, None) => None,
            (None, Some(_)) => Some(Ordering::Greater),
            (Some(_), None) => Some(Ordering::Less),
            (Some(x), Some(y)) => Some(direct(order, x.cmp(&y))),
        };
        let by = match order.column {
            SortColumn::Name => direct(order, compare_text(&ra.name_key, &rb.name_key)),
            SortColumn::Exchange => direct(order, compare_text(&ra.exchange_key, &rb.exchange_key)),
            SortColumn::Environment => direct(
                order,
                environment_rank(ka.environment).cmp(&environment_rank(kb.environment)),
            ),
            SortColumn::Status => {
                direct(order, status_rank(ka.status).cmp(&status_rank(kb.status)))
            }
            SortColumn::Due => times(ka.due_at, kb.due_at).unwrap_or(Ordering::Equal),
            SortColumn::LastUsed => {
                times(ka.last_used_at, kb.last_used_at).unwrap_or(Ordering::Equal)
            }
        };
        // Stable: equal keys keep the vault's order in both directions.
        by.then(ra.position.cmp(&rb.position))
    }

    fn sorted(&mut self, order: SortOrder) -> &[u32] {
        if !self.sorted.contains_key(&order) {
            let mut all: Vec<u32> = (0..self.rows.len() as u32).collect();
            all.sort_unstable_by(|&a, &b| self.compare(a, b, order));
            self.sorted.insert(order, all);
        }
        &self.sorted[&order]
    }

    fn matches(&self, row: &Indexed, query: &ListQuery, words: &[String]) -> bool {
        let key = &row.key;
        if !query.bot.is_empty() && !key.used_by.iter().any(|u| u.bot == query.bot) {
            return false;
        }
        if !query.team.is_empty() {
            let ok = if query.team == PERSONAL {
                key.team.is_none()
            } else {
                key.team.as_deref() == Some(query.team.as_str())
            };
            if !ok {
                return false;
            }
        }
        if !query.exchange.is_empty() && key.exchange != query.exchange {
            return false;
        }
        if query.environment.is_some_and(|e| e != key.environment) {
            return false;
        }
        if query.status.is_some_and(|s| s != key.status) {
            return false;
        }
        let due_ok = match query.due {
            None => true,
            Some(DueFilter::Attention) => key.due_state != DueState::Ok,
            Some(DueFilter::Ok) => key.due_state == DueState::Ok,
            Some(DueFilter::DueSoon) => key.due_state == DueState::DueSoon,
            Some(DueFilter::Overdue) => key.due_state == DueState::Overdue,
            Some(DueFilter::Expired) => key.due_state == DueState::Expired,
        };
        due_ok && words.iter().all(|w| row.haystack.contains(w.as_str()))
    }

    /// Makes the view of `query`, again only when the query differs from the last one.
    fn make_view(&mut self, query: &ListQuery) {
        if self.view.as_ref().map(|v| &v.query) != Some(query) {
            let words: Vec<String> = query
                .text
                .to_lowercase()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            // Typing on at the end of the search (same filters, order and grouping): every key that matches
            // now matched before, so only those are looked at again.
            let narrowing = self.view.take().filter(|v| {
                let typed_on = query
                    .text
                    .to_lowercase()
                    .starts_with(&v.query.text.to_lowercase());
                typed_on
                    && ListQuery {
                        text: String::new(),
                        ..v.query.clone()
                    } == ListQuery {
                        text: String::new(),
                        ..query.clone()
                    }
            });
            let candidates = match narrowing {
                Some(v) => v.matched,
                None => self.sorted(query.sort).to_vec(),
            };
            let matched: Vec<u32> = candidates
                .into_iter()
                .filter(|&i| self.matches(&self.rows[i as usize], query, &words))
                .collect();
            let (keys, groups) = self.group(matched.clone(), query.group_by);
            self.view = Some(View {
                query: query.clone(),
                matched,
                keys,
                groups,
            });
        }
    }

    /// Groups in name order (keys without an account or a bot last), each key in its sorted order under
    /// its header.
    fn group(&self, shown: Vec<u32>, by: GroupBy) -> (Vec<u32>, Vec<ListGroup>) {
        if by == GroupBy::None {
            return (shown, Vec::new());
        }
        let mut groups: HashMap<String, Vec<u32>> = HashMap::new();
        for i in shown {
            groups
                .entry(group_label(&self.rows[i as usize].key, by))
                .or_default()
                .push(i);
        }
        let last = match by {
            GroupBy::Account => Some(NO_ACCOUNT),
            GroupBy::Bot => Some(NO_BOT),
            _ => None,
        };
        let mut labels: Vec<String> = groups.keys().cloned().collect();
        labels.sort_by(|a, b| {
            let (la, lb) = (Some(a.as_str()) == last, Some(b.as_str()) == last);
            la.cmp(&lb)
                .then_with(|| compare_text(&a.to_lowercase(), &b.to_lowercase()))
                .then_with(|| a.cmp(b))
        });
        let mut keys = Vec::new();
        let mut headers = Vec::new();
        for label in labels {
            let list = groups.remove(&label).unwrap_or_default();
            headers.push(ListGroup {
                count: list.len() as u32,
                row: (keys.len() + headers.len()) as u32,
                first_key: keys.len() as u32,
                label,
            });
            keys.extend(list);
        }
        (keys, headers)
    }

    /// Rows `start..start + len` of `query`'s view (`len` at most [`MAX_WINDOW`]).
    pub fn page(&mut self, query: &ListQuery, start: u32, len: u32) -> ListPage {
        self.make_view(query);
        let view = self.view.as_ref().expect("view just made");
        let row_count = (view.keys.len() + view.groups.len()) as u32;
        let start = start.min(row_count);
        let end = start.saturating_add(len.min(MAX_WINDOW)).min(row_count);
        let mut rows = Vec::with_capacity((end - start) as usize);
        // The headers above `start` tell which key the window starts at.
        let mut g = view.groups.partition_point(|h| h.row < start);
        let mut index = start - g as u32;
        for row in start..end {
            match view.groups.get(g).filter(|h| h.row == row) {
                Some(h) => {
                    rows.push(ListRow::Group {
                        label: h.label.clone(),
                        count: h.count,
                    });
                    g += 1;
                }
                None => {
                    let key = &self.rows[view.keys[index as usize] as usize].key;
                    rows.push(ListRow::Key {
                        key: Box::new(key.clone()),
                        index,
                    });
                    index += 1;
                }
            }
        }
        ListPage {
            total: self.rows.len() as u32,
            shown: view.keys.len() as u32,
            row_count,
            groups: view.groups.clone(),
            start,
            rows,
            facets: self.facets.clone(),
        }
    }

    /// The shown keys' ids in the order shown: from `from` to `to` (either order, both included; just
    /// `to` when `from` is not shown; nothing when `to` is not), or every shown key when both are `None`.
    pub fn ids(&mut self, query: &ListQuery, from: Option<Uuid>, to: Option<Uuid>) -> Vec<Uuid> {
        self.make_view(query);
        let view = self.view.as_ref().expect("view just made");
        let place = |id: Uuid| {
            let row = *self.by_id.get(&id)?;
            view.keys.iter().position(|&k| k == row)
        };
        let range = match (from, to) {
            (_, None) => 0..view.keys.len(),
            (from, Some(to)) => match (from.and_then(place), place(to)) {
                (_, None) => 0..0,
                (None, Some(b)) => b..b + 1,
                (Some(a), Some(b)) => a.min(b)..a.max(b) + 1,
            },
        };
        view.keys[range]
            .iter()
            .map(|&k| self.rows[k as usize].key.id)
            .collect()
    }

    /// Those of `ids` that `query` shows, in the order shown (the selection after a search hides some
    /// of it), as the bulk bar needs them: ids, the active ones, the first names and the tags. The rows
    /// stay here, so selecting 100,000 keys sends ids, not 100,000 rows.
    pub fn selected(&mut self, query: &ListQuery, ids: &[Uuid]) -> SelectedKeys {
        let wanted: BTreeSet<u32> = ids
            .iter()
            .filter_map(|id| self.by_id.get(id).copied())
            .collect();
        self.make_view(query);
        let view = self.view.as_ref().expect("view just made");
        let mut out = SelectedKeys::default();
        let mut tags = BTreeSet::new();
        for &k in view.keys.iter().filter(|k| wanted.contains(k)) {
            let key = &self.rows[k as usize].key;
            out.ids.push(key.id);
            if key.status == KeyStatus::Active {
                out.active.push(key.id);
            }
            if out.names.len() < SELECTED_NAMES {
                out.names.push(key.name.clone());
            }
            tags.extend(key.tags.iter().cloned());
        }
        out.tags = tags.into_iter().collect();
        out
    }
}

/// How many names of a selection [`SelectedKeys`] carries (the bulk bar's dialogs name up to that many).
pub const SELECTED_NAMES: usize = 12;

/// A selection of keys as the bulk bar shows it.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SelectedKeys {
    /// The selected keys still shown, in the order shown.
    pub ids: Vec<Uuid>,
    /// The active ones among them (what a share can hold).
    pub active: Vec<Uuid>,
    /// The first [`SELECTED_NAMES`] names, in the order shown.
    pub names: Vec<String>,
    /// Every tag the selected keys carry, sorted, each once.
    pub tags: Vec<String>,
}

fn direct(order: SortOrder, o: Ordering) -> Ordering {
    match order.direction {
        SortDirection::Ascending => o,
        SortDirection::Descending => o.reverse(),
    }
}
