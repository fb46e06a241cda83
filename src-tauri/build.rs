// Build scripts run in the package root, so ./tauri.conf.json is found. The app manifest lists our
// commands so that each must be granted by name in a capability (least privilege).
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(
                tauri_build::AppManifest::new().commands(keystead_app_commands::COMMANDS),
            ),
    )
    .expect("tauri-build");
}

mod keystead_app_commands {
    include!("src/command_names.rs");
}
