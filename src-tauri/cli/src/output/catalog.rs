//! `exchanges`: the catalog of exchanges Keystead knows, with fields, permissions and key-lifetime rules.

use super::json;
use crate::failure::CliResult;
use keystead_core::catalog::{self, ExchangeInfo};

pub fn exchanges(as_json: bool) -> CliResult<()> {
    let list: Vec<ExchangeInfo> = catalog::exchanges().iter().map(|e| e.info()).collect();
    if as_json {
        return json(&list);
    }
    let names = |fields: &[keystead_core::CredentialField]| {
        fields
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for e in &list {
        println!("{} ({})", e.id, e.name);
        let mut fields = names(&e.required_fields);
        if !e.optional_fields.is_empty() {
            fields += &format!("; optional: {}", names(&e.optional_fields));
        }
        println!("  fields: {fields}");
        if !e.permissions.is_empty() {
            let perms: Vec<String> = e
                .permissions
                .iter()
                .map(|p| {
                    let grants: Vec<&str> = p.grants.iter().map(|s| s.as_str()).collect();
                    format!("{} [{}]", p.id, grants.join(","))
                })
                .collect();
            println!("  permissions: {}", perms.join(", "));
        }
        for r in &e.lifetime_rules {
            println!("  rule: {r}");
        }
        if !e.api_key_page.is_empty() {
            println!("  API keys: {}", e.api_key_page);
        }
    }
    Ok(())
}
