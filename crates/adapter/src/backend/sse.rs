//! A server-sent-events line parser that survives events split across network chunks.

/// Accumulates bytes and yields complete `data:` payloads.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    buffer: String,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the data of every event it completed.
    pub(crate) fn feed(&mut self, chunk: &str) -> Vec<String> {
        self.buffer.push_str(chunk);
        let mut events = Vec::new();
        while let Some(newline) = self.buffer.find('\n') {
            let line: String = self.buffer.drain(..=newline).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
            // Comments (": ping"), event names and ids are ignored.
        }
        events
    }

    /// Flushes an event left without its blank line at the end of the stream.
    pub(crate) fn finish(&mut self) -> Option<String> {
        if !self.buffer.trim().is_empty() {
            let rest = std::mem::take(&mut self.buffer);
            let _ = self.feed(&format!("{rest}\n"));
        }
        (!self.data.is_empty()).then(|| std::mem::take(&mut self.data).join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_are_reassembled() {
        let stream = ": ping\n\ndata: {\"a\":1}\n\ndata: [DONE]\n\n";
        for split in 0..stream.len() {
            let mut parser = SseParser::default();
            let mut events = parser.feed(&stream[..split]);
            events.extend(parser.feed(&stream[split..]));
            assert_eq!(events, vec!["{\"a\":1}".to_owned(), "[DONE]".to_owned()], "split at {split}");
        }
    }

    #[test]
    fn crlf_and_missing_final_blank_line() {
        let mut parser = SseParser::default();
        assert_eq!(parser.feed("data: x\r\n\r\ndata: y"), vec!["x".to_owned()]);
        assert_eq!(parser.finish(), Some("y".to_owned()));
    }
}
