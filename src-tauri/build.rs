fn main() {
    // The app config lives at the repository root, beside Cargo.toml.
    if let Err(err) = tauri_build::try_build(
        tauri_build::Attributes::new().config_path("../tauri.conf.json"),
    ) {
        println!("cargo:warning=tauri build step failed: {err:#}");
        std::process::exit(1);
    }
}
