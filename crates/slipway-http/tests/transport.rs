//! The transport against small raw servers on loopback: each time bound with shortened
//! settings, retries, redirects and credentials, capped bodies, redaction.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slipway_http::{
    Credential, HttpError, Redirects, Request, RetryPolicy, Sink, TimeBounds, Transport,
    TransportConfig,
};
use slipway_runner::Secrets;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// What a raw server does with one connection; gets the request head it read.
type Handler =
    Arc<dyn Fn(String, TcpStream) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

/// A server on loopback running `handler` per connection; returns its base URL and the request
/// heads it saw.
async fn serve(handler: Handler) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(1) => head.push(buf[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                log.lock().unwrap().push(head.clone());
                handler(head, stream).await;
            });
        }
    });
    (url, seen)
}

fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Arc::new(move |h, s| Box::pin(f(h, s)))
}

async fn respond(mut s: TcpStream, status: &str, headers: &str, body: &str) {
    let msg = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
    let _ = s.write_all(msg.as_bytes()).await;
    let _ = s.shutdown().await;
}

fn transport(bounds: TimeBounds, secrets: Secrets) -> Transport {
    Transport::new(TransportConfig {
        user_agent: "test".into(),
        policy: RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::fast(Duration::from_millis(5))
        },
        bounds,
        secrets,
        home: None,
    })
    .unwrap()
}

fn quick() -> TimeBounds {
    TimeBounds {
        connect: Duration::from_secs(2),
        silent: Duration::from_millis(300),
        low_speed_limit: 100,
        low_speed_time: Duration::from_millis(400),
        deadline: Duration::from_secs(20),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_black_hole_breaks_the_silent_rule_on_every_attempt() {
    let (url, seen) = serve(handler(|_, s| async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(s);
    }))
    .await;
    let t = Instant::now();
    let err = transport(quick(), Secrets::new())
        .fetch(&Request::get(url))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::TimedOut { attempts: 3, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("sent nothing for 300 ms (`SLIPWAY_SILENT_TIMEOUT`)"),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn a_drip_breaks_the_low_speed_rule_and_the_deadline_caps_everything() {
    let (url, _) = serve(handler(|_, mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
            .await;
        for _ in 0..100_000 {
            if s.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }))
    .await;
    let err = transport(quick(), Secrets::new())
        .fetch(&Request::get(url.clone()))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("below the low-speed limit of 100 bytes/s"),
        "{err}"
    );

    let bounds = TimeBounds {
        low_speed_limit: 0,
        deadline: Duration::from_millis(700),
        ..quick()
    };
    let t = Instant::now();
    let err = transport(bounds, Secrets::new())
        .fetch(&Request::get(url))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("deadline of 700 ms (`SLIPWAY_DEADLINE`)"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "current_thread")]
async fn server_errors_are_retried_and_client_errors_are_not() {
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    let (url, _) = serve(handler(move |_, s| {
        let n = {
            let mut n = c.lock().unwrap();
            *n += 1;
            *n
        };
        async move {
            match n {
                1 => respond(s, "502 Bad Gateway", "", "oops").await,
                2 => respond(s, "429 Too Many Requests", "retry-after: 0\r\n", "").await,
                3 => respond(s, "200 OK", "", "fine").await,
                _ => respond(s, "404 Not Found", "", "gone").await,
            }
        }
    }))
    .await;
    let t = transport(quick(), Secrets::new());
    let answer = t.fetch(&Request::get(url.clone())).await.unwrap();
    assert_eq!((answer.status.as_u16(), answer.attempts), (200, 3));
    assert_eq!(&answer.body[..], b"fine");
    assert_eq!(t.retries().len(), 2);
    let answer = t.fetch(&Request::get(url)).await.unwrap();
    assert_eq!((answer.status.as_u16(), answer.attempts), (404, 1));
}

#[tokio::test(flavor = "current_thread")]
async fn credentials_stay_on_their_origin_across_redirects() {
    let (evil, evil_seen) = serve(handler(|_, s| async move {
        respond(s, "200 OK", "", "evil").await;
    }))
    .await;
    let target = evil.join("steal").unwrap().to_string();
    let (home, _) = serve(handler(move |_, s| {
        let target = target.clone();
        async move {
            respond(s, "302 Found", &format!("location: {target}\r\n"), "").await;
        }
    }))
    .await;
    let secrets = Secrets::new();
    secrets.add("s3cret-token");
    let t = transport(quick(), secrets);
    let cred = Credential::bearer("s3cret-token", &home).unwrap();
    let answer = t
        .fetch(&Request::get(home.clone()).credential(Some(cred.clone())))
        .await
        .unwrap();
    assert_eq!(&answer.body[..], b"evil");
    let heads = evil_seen.lock().unwrap().join("\n").to_ascii_lowercase();
    assert!(!heads.contains("authorization"), "{heads}");

    // With SameOrigin the redirect elsewhere is handed back, not followed.
    let answer = t
        .fetch(&Request::get(home.clone()).redirects(Redirects::SameOrigin))
        .await
        .unwrap();
    assert_eq!(answer.status.as_u16(), 302);
    // A POST with a body never follows to another origin.
    let err = t
        .fetch(
            &Request::post(home)
                .redirects(Redirects::Follow)
                .bytes("application/json", "{\"token\":\"s3cret-token\"}"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Redirect { .. }), "{err}");
    assert_eq!(evil_seen.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn bodies_are_capped_and_echoed_secrets_redacted() {
    let (url, _) = serve(handler(|head, mut s| async move {
        if head.starts_with("GET /big") {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                .await;
            loop {
                if s.write_all(b"4000\r\n").await.is_err()
                    || s.write_all(&[b'x'; 0x4000]).await.is_err()
                    || s.write_all(b"\r\n").await.is_err()
                {
                    return;
                }
            }
        }
        let body = format!("<html><body>you sent: {head}</body></html>");
        respond(s, "403 Forbidden", "content-type: text/html\r\n", &body).await;
    }))
    .await;
    let secrets = Secrets::new();
    secrets.add_basic("__token__", "pypi-secret\"x");
    let t = transport(quick(), secrets);
    let err = t
        .fetch(&Request::get(url.join("big").unwrap()).cap(1 << 20))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::TooLarge { cap: 1_048_576, .. }),
        "{err}"
    );
    let cred = Credential::basic("__token__", "pypi-secret\"x", &url);
    let answer = t
        .fetch(&Request::get(url.join("echo").unwrap()).credential(Some(cred)))
        .await
        .unwrap();
    let text = answer.text();
    assert!(text.contains("authorization: Basic ***"), "{text}");
    assert!(!text.contains("pypi-secret"), "{text}");
}

#[tokio::test(flavor = "current_thread")]
async fn downloads_stop_at_the_expected_size() {
    let (url, _) = serve(handler(|_, mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        loop {
            if s.write_all(&[b'y'; 8192]).await.is_err() {
                return;
            }
        }
    }))
    .await;
    let t = transport(quick(), Secrets::new());
    let mut out = Vec::new();
    let err = t
        .download(
            &Request::get(url),
            Sink {
                writer: &mut out,
                expected: Some(6000),
            },
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::Oversized { expected: 6000, .. }),
        "{err}"
    );
    assert!(out.len() <= 6000);
}

#[tokio::test(flavor = "current_thread")]
async fn a_connection_that_never_opens_breaks_the_connect_bound() {
    // A listener whose accept queue is full and never drained: the kernel drops further SYNs,
    // so a connection attempt hangs as it does towards a black-holed address.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let _listener = socket.listen(0).unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await
        {
            fillers.push(s);
        }
    }
    let bounds = TimeBounds {
        connect: Duration::from_millis(300),
        ..quick()
    };
    let t = Instant::now();
    let err = transport(bounds, Secrets::new())
        .fetch(&Request::get(
            Url::parse(&format!("http://{addr}/")).unwrap(),
        ))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, HttpError::TimedOut { attempts: 3, .. }),
        "{text}"
    );
    assert!(
        text.contains("no connection within 300 ms (`SLIPWAY_CONNECT_TIMEOUT`)"),
        "{text}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "current_thread")]
async fn a_success_head_stands_for_a_body_optional_call_whose_body_stalls() {
    let (url, seen) = serve(handler(|_, mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nOK")
            .await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }))
    .await;
    let t = transport(quick(), Secrets::new());
    let err = t
        .fetch(&Request::post(url.clone()).once())
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "without it the stall is an error: {err}");
    let answer = t
        .fetch(&Request::post(url).once().body_optional())
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
    assert_eq!(seen.lock().unwrap().len(), 2, "one attempt each");
}
