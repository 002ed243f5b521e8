//! Stand-alone `lamina codec`: the codec oracle over stdin/stdout, for
//! `tests/compat/test_codec_oracle.py` (`LAMINA_CODEC_CMD="target/debug/examples/codec"`).

fn main() -> std::io::Result<()> {
    lamina_wire::oracle::run(std::io::stdin().lock(), std::io::stdout().lock())
}
