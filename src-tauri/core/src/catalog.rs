//! The exchanges Keystead knows: the credential fields each needs (ccxt names), its permission names and
//! how they map to canonical scopes, its key-lifetime rules, and where its API-key page is.

use crate::error::{Error, Result};
use crate::exchange::keypair::KeyPairKind;
use crate::model::Scope;
use crate::secret::{CredentialField, SecretFields};
use std::collections::BTreeSet;

/// One exchange (or `custom`).
#[derive(Debug, PartialEq, Eq)]
pub struct Exchange {
    /// Stable id stored with each key and typed on the command line (`binance`, `okx`, …); ccxt's id.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Fields `add` refuses to go without.
    pub required_fields: &'static [CredentialField],
    /// Fields the exchange accepts in some set-ups (e.g. Binance's Ed25519 private key).
    pub optional_fields: &'static [CredentialField],
    /// The exchange's own permission names.
    pub permissions: &'static [Permission],
    /// The exchange's rules that end or cripple a key on their own.
    pub lifetime_rules: &'static [LifetimeRule],
    /// Where the user manages (creates, deletes) API keys on the exchange's site.
    pub api_key_page: &'static str,
    /// The exchange's read-only endpoint that reports a key's own permissions (Keystead's "check on
    /// exchange"); `None`: the exchange has none, its keys cannot be checked.
    pub key_info: Option<&'static str>,
    /// The exchange also takes keys made as a key pair by the user (the public key pasted into its form,
    /// the private key signing requests): Keystead can make one. Such a key has an API key and a
    /// private key, and no secret.
    pub key_pair: Option<KeyPairKind>,
}

/// One of the exchange's own permission names, with the canonical scopes it grants.
#[derive(Debug, PartialEq, Eq)]
pub struct Permission {
    /// Short id accepted by `--scopes` (lower case, `_` between words), e.g. `enable_withdrawals`.
    pub id: &'static str,
    /// The wording on the exchange's API-key page, e.g. "Enable Withdrawals".
    pub label: &'static str,
    pub grants: &'static [Scope],
}

/// When an exchange's own clock for a key starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleClock {
    /// From creation (or the last rotation, which creates a new key on the exchange).
    SinceCreated,
    /// From last use: the key dies after this many days unused.
    Inactivity,
}

/// What happens when the rule's time runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleEffect {
    /// The exchange deletes or expires the key.
    KeyExpires,
    /// The key stays but loses its trading permission.
    TradingDisabled,
}

/// An exchange rule such as "OKX deletes trade keys without an IP allowlist after 14 days unused".
#[derive(Debug, PartialEq, Eq)]
pub struct LifetimeRule {
    /// The rule applies only to keys with no IP allowlist.
    pub only_without_ip_allowlist: bool,
    /// The rule applies only if the key has at least one of these scopes; empty = every key.
    pub when_any_scope: &'static [Scope],
    pub days: u32,
    pub clock: RuleClock,
    pub effect: RuleEffect,
    /// One sentence a trader can read in the add form, e.g. "OKX deletes … after 14 days without use."
    pub summary: &'static str,
}

impl LifetimeRule {
    pub fn applies_to(&self, scopes: &BTreeSet<Scope>, ip_allowlist: &[String]) -> bool {
        (!self.only_without_ip_allowlist || ip_allowlist.is_empty())
            && (self.when_any_scope.is_empty()
                || self.when_any_scope.iter().any(|s| scopes.contains(s)))
    }
}

/// An exchange as front ends receive it (the add form follows it).
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExchangeInfo {
    pub id: String,
    pub name: String,
    pub required_fields: Vec<CredentialField>,
    pub optional_fields: Vec<CredentialField>,
    pub permissions: Vec<PermissionInfo>,
    /// One sentence per key-lifetime rule.
    pub lifetime_rules: Vec<String>,
    pub api_key_page: String,
    /// Whether Keystead can ask the exchange what a key may do.
    pub can_verify: bool,
    /// The key pair Keystead can make for this exchange ("New key pair"); such a key needs
    /// `key_pair_fields` instead of `required_fields`.
    pub key_pair: Option<KeyPairKind>,
    pub key_pair_fields: Vec<CredentialField>,
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, serde::Serialize)]
pub struct PermissionInfo {
    pub id: String,
    pub label: String,
    pub grants: Vec<Scope>,
}

impl Exchange {
    pub fn info(&self) -> ExchangeInfo {
        ExchangeInfo {
            id: self.id.into(),
            name: self.name.into(),
            required_fields: self.required_fields.to_vec(),
            optional_fields: self.optional_fields.to_vec(),
            permissions: self
                .permissions
                .iter()
                .map(|p| PermissionInfo {
                    id: p.id.into(),
                    label: p.label.into(),
                    grants: p.grants.to_vec(),
                })
                .collect(),
            lifetime_rules: self
                .lifetime_rules
                .iter()
                .map(|r| r.summary.into())
                .collect(),
            api_key_page: self.api_key_page.into(),
            can_verify: self.key_info.is_some(),
            key_pair: self.key_pair,
            key_pair_fields: if self.key_pair.is_some() {
                KEY_PAIR_FIELDS.to_vec()
            } else {
                Vec::new()
            },
        }
    }
}

/// Every exchange in the catalog; `custom` last.
pub fn exchanges() -> &'static [Exchange] {
    EXCHANGES
}

/// Looks an exchange up by id (case-insensitive); the error lists the known ids.
pub fn exchange(id: &str) -> Result<&'static Exchange> {
    EXCHANGES
        .iter()
        .find(|e| e.id.eq_ignore_ascii_case(id.trim()))
        .ok_or_else(|| Error::UnknownExchange {
            given: id.to_string(),
            known: EXCHANGES
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl Exchange {
    /// Resolves `--scopes` words: canonical scope names and this exchange's permission ids or labels.
    /// Returns the canonical set and the exchange permission ids named.
    pub fn resolve_scopes(&self, words: &[String]) -> Result<(BTreeSet<Scope>, Vec<String>)> {
        let mut scopes = BTreeSet::new();
        let mut own = Vec::new();
        for word in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            if let Some(scope) = Scope::ALL
                .into_iter()
                .find(|s| s.as_str().eq_ignore_ascii_case(word))
            {
                scopes.insert(scope);
            } else if let Some(p) = self
                .permissions
                .iter()
                .find(|p| p.id.eq_ignore_ascii_case(word) || p.label.eq_ignore_ascii_case(word))
            {
                scopes.extend(p.grants.iter().copied());
                if !own.iter().any(|o| o == p.id) {
                    own.push(p.id.to_string());
                }
            } else {
                let mut valid: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                valid.extend(self.permissions.iter().map(|p| p.id));
                return Err(Error::UnknownScope {
                    given: word.to_string(),
                    exchange: self.name.to_string(),
                    valid: valid.join(", "),
                });
            }
        }
        Ok((scopes, own))
    }

    /// The fields a key needs, given the ones it has: a key with a private key, on an exchange that takes
    /// key pairs, is one (an API key and the private key, no secret); any other needs `required_fields`.
    pub fn required_for(&self, secrets: &SecretFields) -> &'static [CredentialField] {
        if self.key_pair.is_some() && secrets.get(PrivateKey).is_some() {
            KEY_PAIR_FIELDS
        } else {
            self.required_fields
        }
    }

    /// The credential fields this exchange accepts, required first.
    pub fn accepted_fields(&self) -> impl Iterator<Item = CredentialField> + '_ {
        self.required_fields
            .iter()
            .chain(self.optional_fields)
            .copied()
    }
}

use CredentialField::{ApiKey, Password, PrivateKey, Secret, Uid, WalletAddress};
/// The fields of a key made as a key pair.
const KEY_PAIR_FIELDS: &[CredentialField] = &[ApiKey, PrivateKey];
use Scope::{Futures, Margin, Read, Trade, Transfer, Withdraw};

// Permission ids are the exchange's wording in snake_case. Where that wording is itself a canonical scope word
// (OKX "Trade", Coinbase "Transfer"), the id carries the exchange's name (`okx_trade`), so `--scopes trade`
// always means the canonical scope. Derivatives permissions grant `Futures` without `Trade`, as Binance's do.
static EXCHANGES: &[Exchange] = &[
    Exchange {
        id: "binance",
        name: "Binance",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[PrivateKey],
        permissions: &[
            Permission { id: "enable_reading", label: "Enable Reading", grants: &[Read] },
            Permission { id: "enable_spot_margin_trading", label: "Enable Spot & Margin Trading", grants: &[Trade, Margin] },
            Permission { id: "enable_margin_loan_repay_transfer", label: "Enable Margin Loan, Repay & Transfer", grants: &[Margin, Transfer] },
            Permission { id: "enable_futures", label: "Enable Futures", grants: &[Futures] },
            Permission { id: "enable_european_options", label: "Enable European Options", grants: &[Futures] },
            Permission { id: "permits_universal_transfer", label: "Permits Universal Transfer", grants: &[Transfer] },
            Permission { id: "enable_withdrawals", label: "Enable Withdrawals", grants: &[Withdraw] },
        ],
        lifetime_rules: &[LifetimeRule {
            only_without_ip_allowlist: true,
            when_any_scope: &[Trade, Margin, Futures, Transfer, Withdraw],
            days: 30,
            clock: RuleClock::SinceCreated,
            effect: RuleEffect::TradingDisabled,
            summary: "Binance removes trading permissions from a key without an IP allowlist 30 days after it is created.",
        }],
        api_key_page: "https://www.binance.com/en/my/settings/api-management",
        key_info: Some("/sapi/v1/account/apiRestrictions"),
        key_pair: Some(KeyPairKind::Ed25519),
    },
    // Coinbase Advanced Trade through a CDP secret API key: the key name (`organizations/…/apiKeys/…`) is the
    // apiKey and the EC private key (PEM) is the secret.
    Exchange {
        id: "coinbase",
        name: "Coinbase",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[],
        permissions: &[
            Permission { id: "view", label: "View", grants: &[Read] },
            // Spot and Coinbase's US futures.
            Permission { id: "coinbase_trade", label: "Trade", grants: &[Trade, Futures] },
            // Sends crypto off Coinbase and moves funds between portfolios.
            Permission { id: "coinbase_transfer", label: "Transfer", grants: &[Withdraw, Transfer] },
        ],
        lifetime_rules: &[],
        api_key_page: "https://portal.cdp.coinbase.com/projects/api-keys",
        key_info: Some("/api/v3/brokerage/key_permissions"),
        key_pair: None,
    },
    Exchange {
        id: "kraken",
        name: "Kraken",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[],
        permissions: &[
            Permission { id: "query_funds", label: "Query Funds", grants: &[Read] },
            Permission { id: "deposit_funds", label: "Deposit Funds", grants: &[Read] },
            Permission { id: "withdraw_funds", label: "Withdraw Funds", grants: &[Withdraw] },
            Permission { id: "query_open_orders_trades", label: "Query Open Orders & Trades", grants: &[Read] },
            Permission { id: "query_closed_orders_trades", label: "Query Closed Orders & Trades", grants: &[Read] },
            Permission { id: "query_ledger_entries", label: "Query Ledger Entries", grants: &[Read] },
            // The same permission places leveraged (margin) orders.
            Permission { id: "create_modify_orders", label: "Create & Modify Orders", grants: &[Trade, Margin] },
            Permission { id: "cancel_close_orders", label: "Cancel/Close Orders", grants: &[Trade] },
            Permission { id: "access_websocket_api", label: "Access WebSocket API", grants: &[Read] },
        ],
        lifetime_rules: &[],
        api_key_page: "https://www.kraken.com/u/security/api",
        key_info: Some("/0/private/GetApiKeyInfo"),
        key_pair: None,
    },
    Exchange {
        id: "okx",
        name: "OKX",
        required_fields: &[ApiKey, Secret, Password],
        optional_fields: &[],
        permissions: &[
            Permission { id: "okx_read", label: "Read", grants: &[Read] },
            // OKX's Trade covers spot, margin, futures, perpetuals and options, and transfers between own accounts.
            Permission { id: "okx_trade", label: "Trade", grants: &[Trade, Margin, Futures, Transfer] },
            Permission { id: "okx_withdraw", label: "Withdraw", grants: &[Withdraw] },
        ],
        lifetime_rules: &[LifetimeRule {
            only_without_ip_allowlist: true,
            when_any_scope: &[Trade, Withdraw],
            days: 14,
            clock: RuleClock::Inactivity,
            effect: RuleEffect::KeyExpires,
            summary: "OKX deletes a key with Trade or Withdraw permission and no IP allowlist after 14 days without use.",
        }],
        api_key_page: "https://www.okx.com/account/my-api",
        key_info: Some("/api/v5/account/config"),
        key_pair: None,
    },
    Exchange {
        id: "bybit",
        name: "Bybit",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[],
        permissions: &[
            Permission { id: "read_only", label: "Read-Only", grants: &[Read] },
            Permission { id: "orders", label: "Orders", grants: &[Futures] },
            Permission { id: "positions", label: "Positions", grants: &[Futures] },
            // Spot on a unified trading account, which can borrow when spot margin is on.
            Permission { id: "spot_trade", label: "Spot Trade", grants: &[Trade, Margin] },
            Permission { id: "account_transfer", label: "Account Transfer", grants: &[Transfer] },
            Permission { id: "subaccount_transfer", label: "Subaccount Transfer", grants: &[Transfer] },
            Permission { id: "withdrawal", label: "Withdrawal", grants: &[Withdraw] },
        ],
        lifetime_rules: &[LifetimeRule {
            only_without_ip_allowlist: true,
            when_any_scope: &[],
            days: 90,
            clock: RuleClock::SinceCreated,
            effect: RuleEffect::KeyExpires,
            summary: "Bybit expires a key without an IP binding 90 days after it is created.",
        }],
        api_key_page: "https://www.bybit.com/app/user/api-management",
        key_info: Some("/v5/user/query-api"),
        key_pair: None,
    },
    Exchange {
        id: "kucoin",
        name: "KuCoin",
        required_fields: &[ApiKey, Secret, Password],
        optional_fields: &[],
        permissions: &[
            Permission { id: "general", label: "General", grants: &[Read] },
            Permission { id: "spot_trading", label: "Spot Trading", grants: &[Trade] },
            Permission { id: "margin_trading", label: "Margin Trading", grants: &[Trade, Margin] },
            Permission { id: "futures_trading", label: "Futures Trading", grants: &[Futures] },
            Permission { id: "kucoin_transfer", label: "Transfer", grants: &[Transfer] },
            Permission { id: "withdrawal", label: "Withdrawal", grants: &[Withdraw] },
        ],
        lifetime_rules: &[LifetimeRule {
            only_without_ip_allowlist: true,
            when_any_scope: &[Trade, Margin, Futures],
            days: 30,
            clock: RuleClock::Inactivity,
            effect: RuleEffect::KeyExpires,
            summary: "KuCoin deletes a key with trading permission and no IP allowlist after 30 days without use.",
        }],
        api_key_page: "https://www.kucoin.com/account/api",
        key_info: Some("/api/v1/user/api-key"),
        key_pair: None,
    },
    Exchange {
        id: "bitget",
        name: "Bitget",
        required_fields: &[ApiKey, Secret, Password],
        optional_fields: &[],
        permissions: &[
            Permission { id: "read_only", label: "Read-only", grants: &[Read] },
            Permission { id: "futures_orders", label: "Futures Orders", grants: &[Futures] },
            Permission { id: "futures_holdings", label: "Futures Holdings", grants: &[Futures] },
            Permission { id: "spot_trade", label: "Spot Trade", grants: &[Trade] },
            Permission { id: "margin_trade", label: "Margin Trade", grants: &[Trade, Margin] },
            Permission { id: "wallet_transfer", label: "Wallet Transfer", grants: &[Transfer] },
            Permission { id: "wallet_withdraw", label: "Wallet Withdraw", grants: &[Withdraw] },
        ],
        lifetime_rules: &[],
        api_key_page: "https://www.bitget.com/account/newapi",
        key_info: None,
        key_pair: None,
    },
    // Gate APIv4 keys: each permission is granted read-only or read-write; these are the read-write grants.
    Exchange {
        id: "gate",
        name: "Gate",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[],
        permissions: &[
            Permission { id: "account", label: "Account", grants: &[Read] },
            Permission { id: "spot", label: "Spot", grants: &[Trade, Margin] },
            Permission { id: "perpetual_futures", label: "Perpetual Futures", grants: &[Futures] },
            Permission { id: "delivery_futures", label: "Delivery Futures", grants: &[Futures] },
            Permission { id: "options", label: "Options", grants: &[Futures] },
            Permission { id: "unified_account", label: "Unified Account", grants: &[Margin] },
            Permission { id: "wallet", label: "Wallet", grants: &[Transfer] },
            Permission { id: "gate_withdraw", label: "Withdraw", grants: &[Withdraw] },
        ],
        lifetime_rules: &[LifetimeRule {
            only_without_ip_allowlist: true,
            when_any_scope: &[],
            days: 90,
            clock: RuleClock::SinceCreated,
            effect: RuleEffect::KeyExpires,
            summary: "Gate expires a key without an IP allowlist 90 days after it is created.",
        }],
        api_key_page: "https://www.gate.com/myaccount/profile/api-key/manage",
        key_info: None,
        key_pair: None,
    },
    Exchange {
        id: "bitfinex",
        name: "Bitfinex",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[],
        permissions: &[
            Permission { id: "account_info", label: "Account Info", grants: &[Read] },
            Permission { id: "account_history", label: "Account History", grants: &[Read] },
            // Creates exchange, margin and derivatives orders alike.
            Permission { id: "orders", label: "Orders", grants: &[Trade, Margin, Futures] },
            Permission { id: "margin_trading", label: "Margin Trading", grants: &[Margin, Futures] },
            Permission { id: "margin_funding", label: "Margin Funding", grants: &[Margin] },
            Permission { id: "wallets", label: "Wallets", grants: &[Transfer] },
            Permission { id: "bitfinex_withdraw", label: "Withdraw", grants: &[Withdraw] },
        ],
        lifetime_rules: &[],
        api_key_page: "https://setting.bitfinex.com/api",
        key_info: None,
        key_pair: None,
    },
    // Deribit: the client id is the apiKey and the client secret the secret. Labels are Deribit's scope names.
    Exchange {
        id: "deribit",
        name: "Deribit",
        required_fields: &[ApiKey, Secret],
        optional_fields: &[],
        permissions: &[
            Permission { id: "account_read", label: "account:read", grants: &[Read] },
            // Account settings, subaccounts and API keys; moving funds needs wallet:read_write.
            Permission { id: "account_read_write", label: "account:read_write", grants: &[Read] },
            Permission { id: "trade_read", label: "trade:read", grants: &[Read] },
            Permission { id: "trade_read_write", label: "trade:read_write", grants: &[Trade, Futures] },
            Permission { id: "wallet_read", label: "wallet:read", grants: &[Read] },
            // Withdrawals and transfers to subaccounts.
            Permission { id: "wallet_read_write", label: "wallet:read_write", grants: &[Withdraw, Transfer] },
            Permission { id: "block_trade_read_write", label: "block_trade:read_write", grants: &[Trade, Futures] },
        ],
        lifetime_rules: &[],
        api_key_page: "https://www.deribit.com/account/BTC/api",
        key_info: None,
        key_pair: None,
    },
    // Hyperliquid through an agent ("API wallet"): walletAddress is the main account (or subaccount / vault)
    // address, privateKey the agent's key. An agent signs orders but never withdrawals or transfers.
    Exchange {
        id: "hyperliquid",
        name: "Hyperliquid",
        required_fields: &[WalletAddress, PrivateKey],
        optional_fields: &[],
        permissions: &[Permission { id: "api_wallet", label: "API Wallet", grants: &[Read, Trade, Futures] }],
        lifetime_rules: &[],
        api_key_page: "https://app.hyperliquid.xyz/API",
        key_info: None,
        key_pair: None,
    },
    Exchange {
        id: "custom",
        name: "Custom",
        required_fields: &[],
        optional_fields: &[ApiKey, Secret, Password, Uid, PrivateKey, WalletAddress],
        permissions: &[],
        lifetime_rules: &[],
        api_key_page: "",
        key_info: None,
        key_pair: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[Scope]) -> BTreeSet<Scope> {
        list.iter().copied().collect()
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    fn rule_of(id: &str) -> &'static LifetimeRule {
        let rules = exchange(id).expect("in the catalog").lifetime_rules;
        assert_eq!(rules.len(), 1, "{id} has exactly one lifetime rule");
        &rules[0]
    }

    const NO_IPS: &[String] = &[];

    #[test]
    fn every_required_exchange_is_in_the_catalog() {
        let ids: Vec<&str> = exchanges().iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            [
                "binance",
                "coinbase",
                "kraken",
                "okx",
                "bybit",
                "kucoin",
                "bitget",
                "gate",
                "bitfinex",
                "deribit",
                "hyperliquid",
                "custom"
            ]
        );
    }

    #[test]
    fn okx_kucoin_and_bitget_require_the_api_passphrase() {
        for id in ["okx", "kucoin", "bitget"] {
            assert_eq!(
                exchange(id).unwrap().required_fields,
                [ApiKey, Secret, Password],
                "{id}"
            );
        }
    }

    #[test]
    fn only_passphrase_exchanges_require_a_passphrase() {
        for e in exchanges() {
            let needs = e.required_fields.contains(&Password);
            assert_eq!(
                needs,
                ["okx", "kucoin", "bitget"].contains(&e.id),
                "{}",
                e.id
            );
        }
    }

    #[test]
    fn hyperliquid_needs_a_wallet_address_and_private_key() {
        let hyperliquid = exchange("hyperliquid").unwrap();
        assert_eq!(hyperliquid.required_fields, [WalletAddress, PrivateKey]);
        assert!(!hyperliquid
            .accepted_fields()
            .any(|f| f == ApiKey || f == Secret));
    }

    #[test]
    fn api_key_exchanges_need_a_key_and_secret() {
        for id in [
            "binance", "coinbase", "kraken", "bybit", "gate", "bitfinex", "deribit",
        ] {
            assert_eq!(
                exchange(id).unwrap().required_fields,
                [ApiKey, Secret],
                "{id}"
            );
        }
    }

    #[test]
    fn custom_requires_nothing_and_accepts_every_field() {
        let custom = exchange("custom").unwrap();
        assert!(custom.required_fields.is_empty());
        assert_eq!(
            custom.accepted_fields().collect::<Vec<_>>(),
            CredentialField::ALL
        );
        assert!(custom.permissions.is_empty());
        assert!(custom.lifetime_rules.is_empty());
        assert_eq!(exchanges().last().map(|e| e.id), Some("custom"));
    }

    #[test]
    fn no_field_is_both_required_and_optional() {
        for e in exchanges() {
            let accepted: BTreeSet<CredentialField> = e.accepted_fields().collect();
            assert_eq!(
                accepted.len(),
                e.required_fields.len() + e.optional_fields.len(),
                "{} lists a field twice",
                e.id
            );
        }
    }

    #[test]
    fn permission_ids_are_unique_and_never_shadow_canonical_scopes() {
        for e in exchanges() {
            let mut seen = BTreeSet::new();
            for p in e.permissions {
                assert!(
                    seen.insert(p.id),
                    "{}: permission id {} is listed twice",
                    e.id,
                    p.id
                );
                assert!(
                    !Scope::ALL.iter().any(|s| s.as_str() == p.id),
                    "{}: permission id {} is a canonical scope name",
                    e.id,
                    p.id
                );
                let snake = !p.id.is_empty()
                    && !p.id.starts_with('_')
                    && !p.id.ends_with('_')
                    && !p.id.contains("__")
                    && p.id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                assert!(snake, "{}: permission id {} is not snake_case", e.id, p.id);
            }
        }
    }

    #[test]
    fn every_permission_has_a_label_and_grants_a_scope() {
        for e in exchanges() {
            let mut labels = BTreeSet::new();
            for p in e.permissions {
                assert!(
                    !p.label.trim().is_empty(),
                    "{}: {} has no label",
                    e.id,
                    p.id
                );
                assert!(
                    labels.insert(p.label.to_ascii_lowercase()),
                    "{}: label {} twice",
                    e.id,
                    p.label
                );
                assert!(!p.grants.is_empty(), "{}: {} grants nothing", e.id, p.id);
            }
        }
    }

    #[test]
    fn every_exchange_names_a_read_permission_and_all_but_hyperliquid_a_withdraw_one() {
        for e in exchanges().iter().filter(|e| e.id != "custom") {
            assert!(!e.permissions.is_empty(), "{} has no permissions", e.id);
            let granted: BTreeSet<Scope> = e
                .permissions
                .iter()
                .flat_map(|p| p.grants.iter().copied())
                .collect();
            assert!(granted.contains(&Read), "{} has no read permission", e.id);
            if e.id != "hyperliquid" {
                assert!(
                    granted.contains(&Withdraw),
                    "{} has no withdraw permission",
                    e.id
                );
            }
        }
    }

    #[test]
    fn hyperliquid_agent_wallets_can_trade_but_never_withdraw_or_transfer() {
        let hyperliquid = exchange("hyperliquid").unwrap();
        let granted: BTreeSet<Scope> = hyperliquid
            .permissions
            .iter()
            .flat_map(|p| p.grants.iter().copied())
            .collect();
        assert!(granted.contains(&Trade));
        assert!(!granted.contains(&Withdraw));
        assert!(!granted.contains(&Transfer));
    }

    #[test]
    fn every_exchange_but_custom_links_its_api_key_page_over_https() {
        for e in exchanges() {
            if e.id == "custom" {
                assert_eq!(e.api_key_page, "");
                continue;
            }
            let rest = e.api_key_page.strip_prefix("https://");
            let host = rest.and_then(|r| r.split('/').next()).unwrap_or("");
            assert!(
                host.contains('.') && !host.contains(' '),
                "{}: {:?}",
                e.id,
                e.api_key_page
            );
        }
    }

    #[test]
    fn lifetime_rules_are_exactly_the_known_exchange_rules() {
        let with_rules: Vec<&str> = exchanges()
            .iter()
            .filter(|e| !e.lifetime_rules.is_empty())
            .map(|e| e.id)
            .collect();
        assert_eq!(with_rules, ["binance", "okx", "bybit", "kucoin", "gate"]);
        for e in exchanges() {
            for rule in e.lifetime_rules {
                assert!(rule.only_without_ip_allowlist, "{}", e.id);
                assert!(
                    rule.summary.starts_with(e.name),
                    "{}: {}",
                    e.id,
                    rule.summary
                );
                assert!(rule.summary.ends_with('.'), "{}: {}", e.id, rule.summary);
                assert!(
                    rule.summary.contains(&format!("{} days", rule.days)),
                    "{}: {}",
                    e.id,
                    rule.summary
                );
            }
        }
    }

    #[test]
    fn okx_rule_applies_only_to_trade_or_withdraw_keys_without_ip_allowlist() {
        let rule = rule_of("okx");
        assert_eq!(
            (rule.days, rule.clock, rule.effect),
            (14, RuleClock::Inactivity, RuleEffect::KeyExpires)
        );
        let allowlist = vec!["203.0.113.7".to_string()];
        assert!(rule.applies_to(&scopes(&[Read, Trade]), NO_IPS));
        assert!(rule.applies_to(&scopes(&[Withdraw]), NO_IPS));
        assert!(!rule.applies_to(&scopes(&[Read]), NO_IPS));
        assert!(!rule.applies_to(&scopes(&[Read, Trade, Withdraw]), &allowlist));
    }

    #[test]
    fn bybit_and_gate_rules_expire_every_key_without_ip_binding_after_90_days() {
        let allowlist = vec!["203.0.113.7".to_string()];
        for id in ["bybit", "gate"] {
            let rule = rule_of(id);
            assert_eq!(
                (rule.days, rule.clock, rule.effect),
                (90, RuleClock::SinceCreated, RuleEffect::KeyExpires),
                "{id}"
            );
            assert!(rule.applies_to(&scopes(&[Read]), NO_IPS), "{id}");
            assert!(rule.applies_to(&BTreeSet::new(), NO_IPS), "{id}");
            assert!(
                !rule.applies_to(&scopes(&[Read, Trade]), &allowlist),
                "{id}"
            );
        }
    }

    #[test]
    fn kucoin_rule_spares_read_only_keys_and_keys_with_an_ip_allowlist() {
        let rule = rule_of("kucoin");
        assert_eq!(
            (rule.days, rule.clock, rule.effect),
            (30, RuleClock::Inactivity, RuleEffect::KeyExpires)
        );
        let allowlist = vec!["203.0.113.7".to_string()];
        for trading in [Trade, Margin, Futures] {
            assert!(
                rule.applies_to(&scopes(&[Read, trading]), NO_IPS),
                "{trading:?}"
            );
            assert!(
                !rule.applies_to(&scopes(&[Read, trading]), &allowlist),
                "{trading:?}"
            );
        }
        assert!(!rule.applies_to(&scopes(&[Read, Withdraw]), NO_IPS));
    }

    #[test]
    fn resolve_scopes_accepts_canonical_names_and_exchange_labels() {
        let binance = exchange("binance").unwrap();
        let (got, own) = binance
            .resolve_scopes(&words(&[
                "READ",
                " enable_withdrawals ",
                "Enable Spot & Margin Trading",
                "",
                "enable_withdrawals",
            ]))
            .expect("known words");
        assert_eq!(got, scopes(&[Read, Trade, Withdraw, Margin]));
        assert_eq!(own, ["enable_withdrawals", "enable_spot_margin_trading"]);

        let okx = exchange("okx").unwrap();
        let (got, own) = okx.resolve_scopes(&words(&["okx_trade"])).unwrap();
        assert_eq!(got, scopes(&[Trade, Margin, Futures, Transfer]));
        assert_eq!(own, ["okx_trade"]);

        // A canonical word wins over an exchange label spelled the same.
        let (got, own) = okx.resolve_scopes(&words(&["trade"])).unwrap();
        assert_eq!(got, scopes(&[Trade]));
        assert!(own.is_empty());
    }

    #[test]
    fn resolve_scopes_rejects_unknown_words_listing_valid_ones() {
        let kraken = exchange("kraken").unwrap();
        match kraken.resolve_scopes(&words(&["read", "enable_withdrawals"])) {
            Err(Error::UnknownScope {
                given,
                exchange,
                valid,
            }) => {
                assert_eq!(given, "enable_withdrawals");
                assert_eq!(exchange, "Kraken");
                let valid: Vec<&str> = valid.split(", ").collect();
                for scope in Scope::ALL {
                    assert!(
                        valid.contains(&scope.as_str()),
                        "{valid:?} lacks {}",
                        scope.as_str()
                    );
                }
                assert!(valid.contains(&"withdraw_funds"), "{valid:?}");
                assert!(valid.contains(&"create_modify_orders"), "{valid:?}");
            }
            other => panic!("expected UnknownScope, got {other:?}"),
        }
    }

    #[test]
    fn custom_keys_take_only_canonical_scopes() {
        let custom = exchange("custom").unwrap();
        let (got, own) = custom.resolve_scopes(&words(&["read", "trade"])).unwrap();
        assert_eq!(got, scopes(&[Read, Trade]));
        assert!(own.is_empty());
        assert!(matches!(
            custom.resolve_scopes(&words(&["enable_reading"])),
            Err(Error::UnknownScope { .. })
        ));
    }

    #[test]
    fn exchange_lookup_is_case_insensitive_and_unknown_ids_list_the_known_ones() {
        assert_eq!(exchange("OKX").unwrap().id, "okx");
        assert_eq!(exchange(" HyperLiquid ").unwrap().id, "hyperliquid");
        match exchange("binanceus") {
            Err(Error::UnknownExchange { given, known }) => {
                assert_eq!(given, "binanceus");
                let known: Vec<&str> = known.split(", ").collect();
                let all: Vec<&str> = exchanges().iter().map(|e| e.id).collect();
                assert_eq!(known, all);
            }
            other => panic!("expected UnknownExchange, got {other:?}"),
        }
    }
}
