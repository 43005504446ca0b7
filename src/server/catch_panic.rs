//! A panic in any RPC handler becomes an `Internal` status carrying the panic's message, instead of a
//! reset stream that the engine reports as a lost connection; the process and every other request
//! carry on.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::FutureExt;

use crate::panic::Panicked;

/// Wraps the gRPC service so its handlers' panics are answered.
#[derive(Clone, Copy, Debug, Default)]
pub struct CatchPanicLayer;

impl<S> tower::Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;
    fn layer(&self, inner: S) -> Self::Service {
        CatchPanic { inner }
    }
}

/// The service [`CatchPanicLayer`] wraps around the provider.
#[derive(Clone, Debug)]
pub struct CatchPanic<S> {
    inner: S,
}

impl<S, B, RB> tower::Service<http::Request<B>> for CatchPanic<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>> + Send,
    S::Future: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = http::Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // A panic while the call starts, before its future exists, is answered too.
        let started = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req)));
        Box::pin(async move {
            match started {
                Ok(fut) => AssertUnwindSafe(fut)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|p| Ok(internal(&*p))),
                Err(p) => Ok(internal(&*p)),
            }
        })
    }
}

/// The `Internal` status answering a panic.
fn internal<RB: Default>(payload: &(dyn Any + Send)) -> http::Response<RB> {
    let p = Panicked::from_payload(payload);
    tracing::error!(panic = %p.0, "an RPC handler panicked");
    tonic::Status::internal(p.to_string()).into_http()
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::{Layer, Service};

    use super::*;

    type Reply = Result<http::Response<String>, Infallible>;

    async fn answer(panics: bool) -> Reply {
        assert!(
            !panics,
            "index out of bounds: the len is 0 but the index is 0"
        );
        Ok(http::Response::new("ok".to_string()))
    }

    async fn call(
        svc: &mut impl Service<http::Request<()>, Response = http::Response<String>, Error = Infallible>,
    ) -> http::Response<String> {
        svc.call(http::Request::new(())).await.unwrap()
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_with_its_message_and_the_next_call_works() {
        let mut panicking = CatchPanicLayer.layer(tower::service_fn(|_| answer(true)));
        let got = call(&mut panicking).await;
        assert_eq!(got.headers()["grpc-status"], "13", "Internal");
        let message = got.headers()["grpc-message"].to_str().unwrap().to_string();
        assert!(message.contains("ec2fleet%20bug"), "{message}");
        assert!(message.contains("index%20out%20of%20bounds"), "{message}");

        let mut fine = CatchPanicLayer.layer(tower::service_fn(|_| answer(false)));
        let got = call(&mut fine).await;
        assert!(got.headers().get("grpc-status").is_none());
        assert_eq!(got.body(), "ok");
    }

    #[tokio::test]
    async fn a_panic_before_the_handlers_future_exists_is_answered_too() {
        let mut svc = CatchPanicLayer.layer(tower::service_fn(
            |_: http::Request<()>| -> futures::future::Ready<Reply> { panic!("bad request shape") },
        ));
        let got = call(&mut svc).await;
        assert_eq!(got.headers()["grpc-status"], "13");
    }
}
