//! Line framing: one JSON object per `\n`-terminated line, in both directions.
//!
//! Reading is bounded: a line longer than the limit is skipped to its end and reported,
//! so one oversize or garbage line costs an error answer, never the engine.

use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// The longest line read (8 MiB: room for a long answer, far from unbounded).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// One read from the input.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    /// A complete line (without the `\n` and any `\r`).
    Line(Vec<u8>),
    /// A line over the limit, skipped; its length in bytes.
    TooLong(usize),
    /// End of input.
    Eof,
}

/// Reads the next line of at most `max` bytes.
///
/// Not cancel-safe: a line being read when the future is dropped is lost. The engine
/// drops it only when it is shutting down anyway.
///
/// # Errors
/// The reader's I/O errors.
pub async fn next_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<LineRead> {
    let mut line = Vec::new();
    let mut total = 0usize;
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(match (total, too_long) {
                (0, _) => LineRead::Eof,
                (_, true) => LineRead::TooLong(total),
                (_, false) => LineRead::Line(trim_cr(line)),
            });
        }
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        total += chunk.len();
        if !too_long {
            if line.len() + chunk.len() > max {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = newline.map_or(buf.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(if too_long { LineRead::TooLong(total) } else { LineRead::Line(trim_cr(line)) });
        }
    }
}

fn trim_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// Writes one line and flushes it.
///
/// # Errors
/// The writer's I/O errors.
pub async fn write_line<W: AsyncWrite + Unpin>(writer: &mut W, line: &str) -> std::io::Result<()> {
    writer.write_all(line.as_bytes()).await?;
    writer.write_all(b"\n").await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(input: &[u8], max: usize) -> Vec<LineRead> {
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        loop {
            let read = next_line(&mut reader, max).await.expect("read");
            let eof = read == LineRead::Eof;
            out.push(read);
            if eof {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn lines_split_across_reads_and_crlf() {
        let reads = read_all(b"{\"a\":1}\r\n\n{\"b\":2}", 100).await;
        assert_eq!(
            reads,
            vec![
                LineRead::Line(b"{\"a\":1}".to_vec()),
                LineRead::Line(Vec::new()),
                LineRead::Line(b"{\"b\":2}".to_vec()),
                LineRead::Eof
            ]
        );
    }

    #[tokio::test]
    async fn an_oversize_line_is_skipped_and_the_next_one_read() {
        let reads = read_all(b"0123456789abcdef\nok\n", 8).await;
        assert_eq!(reads, vec![LineRead::TooLong(16), LineRead::Line(b"ok".to_vec()), LineRead::Eof]);
    }
}
