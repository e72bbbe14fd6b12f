//! hyper on Tokio: the Rust side of the story.
//!
//!     hyper-server --port N [--threads N]
//!
//! `--threads 1` (the default) runs Tokio's current_thread runtime, for the
//! one-core runs; more threads use the multi-thread runtime.
use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};

fn with_type(body: impl Into<Body>, content_type: &'static str) -> Response<Body> {
    let mut res = Response::new(body.into());
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

fn not_found() -> Response<Body> {
    let mut res = with_type("Not Found", "text/plain");
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

async fn handle(req: Request<Body>) -> Result<Response<Body>, hyper::Error> {
    let path = req.uri().path();
    match *req.method() {
        Method::GET if path == "/" => Ok(with_type("Hello, World!", "text/plain")),
        Method::GET if path == "/json" => {
            Ok(with_type(r#"{"message":"Hello, World!"}"#, "application/json"))
        }
        Method::GET if path.starts_with("/users/") => match path["/users/".len()..].parse::<i64>() {
            Ok(id) => Ok(with_type(format!(r#"{{"id":{}}}"#, id), "application/json")),
            Err(_) => Ok(not_found()),
        },
        Method::POST if path == "/echo" => {
            let content_type = req
                .headers()
                .get(CONTENT_TYPE)
                .cloned()
                .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
            let body = hyper::body::to_bytes(req.into_body()).await?;
            let len = body.len();
            let mut res = Response::new(Body::from(body));
            res.headers_mut().insert(CONTENT_TYPE, content_type);
            res.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(len));
            Ok(res)
        }
        _ => Ok(not_found()),
    }
}

fn main() {
    let mut port: u16 = 8080;
    let mut threads: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).expect("--port N"),
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).expect("--threads N"),
            _ => {
                eprintln!("usage: hyper-server --port N [--threads N]");
                std::process::exit(2);
            }
        }
    }
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
    }
    .expect("tokio runtime");

    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let make_svc =
            make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(handle)) });
        // TCP_NODELAY as every other server here has it (hyper 0.14 leaves Nagle on), and
        // pipeline_flush so pipelined answers leave in one write, as in hyper's own benchmark setups.
        let server = Server::bind(&addr)
            .http1_only(true)
            .tcp_nodelay(true)
            .http1_pipeline_flush(true)
            .serve(make_svc);
        println!("hyper: listening on http://127.0.0.1:{}", port);
        if let Err(e) = server.await {
            eprintln!("hyper: {}", e);
            std::process::exit(1);
        }
    });
}
