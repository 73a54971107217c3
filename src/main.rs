//! The `lianxin` command line. Subcommands land with their issues.
fn main() {
    println!("lianxin: under construction");
}
