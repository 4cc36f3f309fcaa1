//! Proxy errors, turned into responses in one place and in the error format of the API the client
//! speaks: Anthropic `{"type":"error","error":{"type","message"}}` or OpenAI
//! `{"error":{"message","type","param","code"}}`. Messages say what happened and what to do, and
//! never carry a secret value or an original name.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use serde_json::json;

use super::Body;

/// Which API's error shape to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Anthropic,
    OpenAi,
}

/// Who failed (as pingora's `ErrorSource`): decides logging and the status family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Client,
    Upstream,
    Internal,
}

/// An error answered by pretense itself.
#[derive(Debug, Clone)]
pub struct ProxyError {
    pub status: StatusCode,
    pub source: Source,
    /// Machine-readable kind, in the Anthropic vocabulary (`invalid_request_error`, ...).
    pub kind: &'static str,
    pub message: String,
    /// Already in the log (and the audit table) as the outcome of a proxied request.
    pub logged: bool,
}

impl ProxyError {
    pub fn new(
        status: StatusCode,
        source: Source,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ProxyError {
            status,
            source,
            kind,
            message: message.into(),
            logged: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Source::Client,
            "invalid_request_error",
            message,
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            Source::Client,
            "not_found_error",
            message,
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            Source::Client,
            "permission_error",
            message,
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            Source::Client,
            "authentication_error",
            message,
        )
    }

    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Source::Client,
            "request_too_large",
            format!(
                "request body is larger than pretense's limit of {limit} bytes; raise [server] max_body_bytes in the config if this is expected"
            ),
        )
    }

    pub fn unsupported_encoding(encoding: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Source::Client,
            "invalid_request_error",
            format!(
                "pretense cannot decode a request body with Content-Encoding {encoding:?} (gzip, deflate, br and zstd are supported), so it was not forwarded"
            ),
        )
    }

    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            Source::Upstream,
            "api_error",
            message,
        )
    }

    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            Source::Upstream,
            "timeout_error",
            message,
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Source::Internal,
            "api_error",
            message,
        )
    }

    /// The JSON body in `dialect`'s format.
    pub fn body(&self, dialect: Dialect) -> serde_json::Value {
        let message = format!("pretense: {}", self.message);
        match dialect {
            Dialect::Anthropic => json!({
                "type": "error",
                "error": { "type": self.kind, "message": message },
            }),
            Dialect::OpenAi => json!({
                "error": {
                    "message": message,
                    "type": openai_type(self.kind),
                    "param": null,
                    "code": self.kind,
                },
            }),
        }
    }

    /// The full response.
    pub fn response(&self, dialect: Dialect) -> Response<Body> {
        let body = serde_json::to_vec(&self.body(dialect)).unwrap_or_default();
        let mut resp = Response::new(super::full(Bytes::from(body)));
        *resp.status_mut() = self.status;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        resp.headers_mut()
            .insert("x-pretense-error", header::HeaderValue::from_static("1"));
        resp
    }
}

/// OpenAI's error `type` for an Anthropic-style kind.
fn openai_type(kind: &str) -> &'static str {
    match kind {
        "invalid_request_error" | "request_too_large" | "not_found_error" => {
            "invalid_request_error"
        }
        "authentication_error" => "authentication_error",
        "permission_error" => "permission_error",
        "timeout_error" => "timeout",
        _ => "api_error",
    }
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let e = ProxyError::too_large(10);
        let a = e.body(Dialect::Anthropic);
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "request_too_large");
        let o = e.body(Dialect::OpenAi);
        assert_eq!(o["error"]["type"], "invalid_request_error");
        assert!(
            o["error"]["message"]
                .as_str()
                .unwrap()
                .contains("max_body_bytes")
        );
        assert_eq!(e.response(Dialect::OpenAi).status(), 413);
    }
}
