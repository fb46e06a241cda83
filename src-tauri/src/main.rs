// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's DMA-BUF renderer costs about 100 MiB of PSS here for nothing we draw (measured with
    // scripts/bench-app.sh: 376 → 268 MiB with 10k keys, same launch and search times). A user who sets
    // the variable keeps their value. Set before any thread starts.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    keystead_app::run();
}
