//! `cargo xtask bundle <package> [--release]`: builds a plugin package and packs the library as
//! CLAP and VST3 bundles under `target/bundled/`, named as `bundler.toml` says.

fn main() -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::main()
}
