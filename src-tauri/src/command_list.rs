// The one list of commands the webview may call, by module under `commands/`. `build.rs` includes this
// file to write the permission manifest (an `allow-…` permission per command, granted by name in
// `capabilities/main.json`); `lib.rs` expands it into `generate_handler!`; the tests compare it with the
// capability and with `ui/src/lib/ipc.ts`. (Plain comments, not `//!`: `include!` refuses inner
// attributes.)

/// Calls the macro `$then!` with every command as `module::{name, …}`, one group per module.
macro_rules! with_command_list {
    ($then:ident) => {
        $then! {
            vault::{
                vault_status, create_vault, unlock, use_vault_file, choose_vault_file, lock, touch,
                default_backup_path, backup_vault, accept_restored_backup, remember_status, remember_device, forget_device,
                unlock_with_device
            },
            keys::{
                key_rows, key_ids, selected_keys, key_id_by_name, active_keys, key_detail, catalog, open_api_key_page, add_key, edit_key, rotate_key, revoke_key,
                bulk_edit_keys, revoke_keys,
                mark_compromised, incident_step, verify_key, accept_exchange_view, set_scheduled_check,
                new_key_pair,
                public_key, copy_public_key
            },
            secrets::{reveal_secret, copy_secret},
            audit::{audit_log, key_audit, verify_audit, export_audit},
            settings::{
                get_settings, set_settings, change_passphrase, send_test_notification,
                take_open_key
            },
            sharing::{
                sharing_key, copy_sharing_key, list_contacts, add_contact, rename_contact,
                remove_contact, default_share_path, choose_share_file, share_export,
                share_file_needs_passphrase, share_preview, share_apply, share_cancel
            },
            import::{choose_import_files, import_inspect, import_preview, import_apply, import_cancel},
            team::{team_overview, team_sync_preview, team_sync_resolve, team_sync_apply, team_sync_cancel},
            scan::{
                choose_scan_folders, scan_usual_places, scan_start, scan_cancel, open_finding_folder,
                ignore_finding, ignored_findings, unignore_finding
            },
        }
    };
}

/// The command names of the list, as `&[&str]`: `with_command_list!(command_names)` (build.rs, tests).
#[cfg_attr(not(test), allow(unused_macros))]
macro_rules! command_names {
    ($($module:ident::{$($name:ident),* $(,)?}),* $(,)?) => {
        &[$($(stringify!($name)),*),*]
    };
}
