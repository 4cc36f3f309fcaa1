//! Content-Encoding of request bodies (Codex sends zstd) and, should an upstream ignore our
//! `accept-encoding: identity`, of responses. Decoding is capped: a small compressed body that
//! inflates past the body limit is refused, not buffered.

use std::io::Read;

use super::error::ProxyError;

/// Decodes `body` according to a `Content-Encoding` header value (comma-separated, applied in
/// order). `None`/`identity` returns the body unchanged.
pub fn decode(encoding: Option<&str>, body: Vec<u8>, limit: u64) -> Result<Vec<u8>, ProxyError> {
    let Some(encoding) = encoding else {
        return Ok(body);
    };
    let mut data = body;
    // Encodings are listed in the order they were applied; undo them in reverse.
    for coding in encoding
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .rev()
    {
        data = match coding.as_str() {
            "" | "identity" => data,
            "gzip" | "x-gzip" => {
                read_capped(flate2::read::MultiGzDecoder::new(&data[..]), limit, &coding)?
            }
            "deflate" => {
                // "deflate" is zlib-wrapped by the spec, raw deflate in practice: try both.
                match read_capped(flate2::read::ZlibDecoder::new(&data[..]), limit, &coding) {
                    Ok(d) => d,
                    Err(e) if e.status == http::StatusCode::PAYLOAD_TOO_LARGE => return Err(e),
                    Err(_) => {
                        read_capped(flate2::read::DeflateDecoder::new(&data[..]), limit, &coding)?
                    }
                }
            }
            "br" => read_capped(
                brotli::Decompressor::new(&data[..], 64 * 1024),
                limit,
                &coding,
            )?,
            "zstd" => {
                // A zstd stream may hold several frames back to back (RFC 8878 §3.1): decode
                // each in turn, the limit counting across them.
                let mut rest = &data[..];
                let mut out = Vec::new();
                while !rest.is_empty() {
                    let decoder =
                        ruzstd::decoding::StreamingDecoder::new(&mut rest).map_err(|e| {
                            ProxyError::bad_request(format!("request body is not valid zstd: {e}"))
                        })?;
                    let left = limit.saturating_sub(out.len() as u64);
                    out.extend(read_capped(decoder, left, &coding)?);
                }
                out
            }
            other => return Err(ProxyError::unsupported_encoding(other)),
        };
    }
    Ok(data)
}

fn read_capped(reader: impl Read, limit: u64, coding: &str) -> Result<Vec<u8>, ProxyError> {
    let mut out = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| ProxyError::bad_request(format!("request body is not valid {coding}: {e}")))?;
    if out.len() as u64 > limit {
        return Err(ProxyError::too_large(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    #[test]
    fn decodes_every_supported_encoding() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(TEXT).unwrap();
        assert_eq!(
            decode(Some("gzip"), gz.finish().unwrap(), 1 << 20).unwrap(),
            TEXT
        );

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(TEXT).unwrap();
        assert_eq!(
            decode(Some("deflate"), z.finish().unwrap(), 1 << 20).unwrap(),
            TEXT
        );

        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(TEXT).unwrap();
        assert_eq!(
            decode(Some("deflate"), raw.finish().unwrap(), 1 << 20).unwrap(),
            TEXT
        );

        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
            w.write_all(TEXT).unwrap();
        }
        assert_eq!(decode(Some("br"), br, 1 << 20).unwrap(), TEXT);

        let zst =
            ruzstd::encoding::compress_to_vec(TEXT, ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(decode(Some("zstd"), zst.clone(), 1 << 20).unwrap(), TEXT);
        let two_frames = [zst.clone(), zst].concat();
        assert_eq!(
            decode(Some("zstd"), two_frames, 1 << 20).unwrap(),
            [TEXT, TEXT].concat()
        );

        assert_eq!(
            decode(Some("identity"), TEXT.to_vec(), 1 << 20).unwrap(),
            TEXT
        );
        assert_eq!(decode(None, TEXT.to_vec(), 1 << 20).unwrap(), TEXT);
    }

    #[test]
    fn refuses_unknown_garbage_and_bombs() {
        assert_eq!(
            decode(Some("compress"), TEXT.to_vec(), 100)
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(
            decode(Some("gzip"), b"not gzip".to_vec(), 100)
                .unwrap_err()
                .status,
            400
        );
        let big = vec![b'a'; 100_000];
        let zst = ruzstd::encoding::compress_to_vec(
            &big[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert_eq!(decode(Some("zstd"), zst, 1000).unwrap_err().status, 413);
    }
}
