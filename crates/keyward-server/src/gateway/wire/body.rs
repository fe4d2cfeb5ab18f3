//! An answer's body from the upstream to the client, as the head framed it. Bytes are written to
//! the client before the next read from the upstream, so a streamed answer streams. A chunked
//! answer (or one read to the connection's end) is sent chunked again, re-framed here: the
//! upstream's chunk extensions and trailers stay behind, as with hyper.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::upstream::{Conn, Framing};

/// The longest chunk-size line or trailer section read; beyond it the answer is broken off.
const MAX_LINE: usize = 4 * 1024;
const MAX_TRAILERS: usize = 16 * 1024;
/// What is gathered for the client before it is written even with more already read.
const FLUSH_AT: usize = 64 * 1024;

/// Sends `out` (the answer's head, already written into it) and the body; `Ok(true)` when the
/// upstream connection ended cleanly at the body's end and can be used again.
pub(crate) async fn relay<C>(conn: &mut Conn, framing: Framing, client: &mut C, out: &mut Vec<u8>) -> io::Result<bool>
where
    C: AsyncWrite + Unpin,
{
    let clean = match framing {
        Framing::Empty(_) => true,
        Framing::Length(n) => {
            pass(conn, client, out, n).await?;
            true
        }
        Framing::Chunked => {
            rechunk(conn, client, out).await?;
            true
        }
        Framing::UntilClose => {
            loop {
                if conn.buf.is_empty() && !try_fill(conn, client, out).await? {
                    break;
                }
                let data = conn.buf.split();
                chunk(out, &data);
                if out.len() >= FLUSH_AT {
                    flush(client, out).await?;
                }
            }
            out.extend_from_slice(b"0\r\n\r\n");
            false
        }
    };
    flush(client, out).await?;
    // Bytes after the body's end were never asked for: the connection is out of step.
    Ok(clean && conn.buf.is_empty())
}

/// A chunked body, decoded and written chunked again.
async fn rechunk<C: AsyncWrite + Unpin>(conn: &mut Conn, client: &mut C, out: &mut Vec<u8>) -> io::Result<()> {
    loop {
        let size_line = line(conn, client, out, MAX_LINE).await?;
        let size = chunk_size(&size_line).ok_or_else(|| broken("a bad chunk size"))?;
        if size == 0 {
            let mut trailers = 0;
            loop {
                let trailer = line(conn, client, out, MAX_LINE).await?;
                if trailer.is_empty() {
                    break;
                }
                trailers += trailer.len();
                if trailers > MAX_TRAILERS {
                    return Err(broken("trailers too long"));
                }
            }
            out.extend_from_slice(b"0\r\n\r\n");
            return Ok(());
        }
        out.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        pass(conn, client, out, size).await?;
        if !line(conn, client, out, 0).await?.is_empty() {
            return Err(broken("a chunk longer than its size"));
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Passes the next `n` bytes of the upstream's answer on to the client.
async fn pass<C: AsyncWrite + Unpin>(conn: &mut Conn, client: &mut C, out: &mut Vec<u8>, n: u64) -> io::Result<()> {
    let mut left = n;
    while left > 0 {
        if conn.buf.is_empty() {
            fill(conn, client, out).await?;
        }
        let take = usize::try_from(left).unwrap_or(usize::MAX).min(conn.buf.len());
        out.extend_from_slice(&conn.buf.split_to(take));
        left -= take as u64;
        if out.len() >= FLUSH_AT {
            flush(client, out).await?;
        }
    }
    Ok(())
}

/// A chunk's size: hex digits, then optionally `;` and extensions (ignored).
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.split(|b| *b == b';').next()?.trim_ascii_end();
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

fn chunk(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The next line (without its CRLF), at most `max` bytes long.
async fn line<C: AsyncWrite + Unpin>(
    conn: &mut Conn,
    client: &mut C,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<bytes::BytesMut> {
    loop {
        if let Some(end) = conn.buf.windows(2).position(|w| w == b"\r\n") {
            // Split off, not copied: a chunked answer has a size line per chunk.
            let mut line = conn.buf.split_to(end + 2);
            line.truncate(end);
            return Ok(line);
        }
        if conn.buf.len() > max + 1 {
            return Err(broken("a line too long"));
        }
        fill(conn, client, out).await?;
    }
}

/// Reads more from the upstream, after writing what the client is owed; its end is an error.
async fn fill<C: AsyncWrite + Unpin>(conn: &mut Conn, client: &mut C, out: &mut Vec<u8>) -> io::Result<()> {
    if try_fill(conn, client, out).await? { Ok(()) } else { Err(broken("the upstream closed mid-answer")) }
}

/// Reads more from the upstream, after writing what the client is owed; `false` at its end.
async fn try_fill<C: AsyncWrite + Unpin>(conn: &mut Conn, client: &mut C, out: &mut Vec<u8>) -> io::Result<bool> {
    flush(client, out).await?;
    Ok(read_more(&mut conn.stream, &mut conn.buf).await? > 0)
}

async fn read_more<R: AsyncRead + Unpin>(stream: &mut R, buf: &mut bytes::BytesMut) -> io::Result<usize> {
    stream.read_buf(buf).await
}

async fn flush<C: AsyncWrite + Unpin>(client: &mut C, out: &mut Vec<u8>) -> io::Result<()> {
    if !out.is_empty() {
        client.write_all(out).await?;
        out.clear();
    }
    Ok(())
}

fn broken(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn g2_chunk_sizes_are_hex_with_extensions_ignored() {
        assert_eq!(chunk_size(b"1a"), Some(26));
        assert_eq!(chunk_size(b"A;name=value"), Some(10));
        assert_eq!(chunk_size(b"0"), Some(0));
        for bad in [&b""[..], b"-1", b"0x1", b"g", b" 1", b"1111111111111111"] {
            assert_eq!(chunk_size(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
