//! Link `paddock` with packed relative relocations (DT_RELR) on Linux: the
//! gate hook and `paddock sandbox run` start a fresh `paddock` for every tool
//! call and launch, and most of a start is the loader reading ~58,000
//! relocation entries of this position-independent executable. RELR keeps
//! PIE (and so address randomisation) but stores them in a few kilobytes.
//! Linkers older than binutils 2.38 ignore the option with a warning; glibc
//! older than 2.36 would refuse such a binary, hence gnu targets only.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
