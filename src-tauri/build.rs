// Build scripts run in the package root, so ./tauri.conf.json is found. The app manifest lists our
// commands so that each must be granted by name in a capability (least privilege).
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/src/command_list.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}

// The one list of commands, shared with lib.rs (which hands it to `generate_handler!`).
include!("src/command_list.rs");

const COMMANDS: &[&str] = with_command_list!(command_names);
