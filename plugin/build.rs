//! Passes the plugin's display name from `Cargo.toml` (`[package.metadata.plugin] name`) to the
//! code as `RTCB_PLUGIN_NAME`, so the name, like the vendor, URL and version, comes from Cargo.

fn main() {
    println!("cargo:rerun-if-changed=Cargo.toml");
    let manifest = std::fs::read_to_string("Cargo.toml").expect("the package's Cargo.toml");
    let manifest: toml::Table = manifest.parse().expect("Cargo.toml is TOML");
    let name = manifest
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("plugin"))
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .expect("Cargo.toml sets [package.metadata.plugin] name");
    println!("cargo:rustc-env=RTCB_PLUGIN_NAME={name}");
}
