//! Members behind the lab's VIPs: small TCP servers on loopback that greet each connection with
//! their name and then echo what they receive, and count the connections they accepted, so a
//! test sees which member a connection through the balancer reached.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One running member.
pub struct MemberServer {
    pub name: String,
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl MemberServer {
    /// The member at `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        "127.0.0.1".to_string()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for MemberServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The members of one balancer.
pub struct MemberServers(pub Vec<MemberServer>);

impl MemberServers {
    pub async fn start(names: &[String]) -> anyhow::Result<MemberServers> {
        let mut members = Vec::new();
        for name in names {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let port = listener.local_addr()?.port();
            let accepted = Arc::new(AtomicUsize::new(0));
            let (count, greeting) = (accepted.clone(), format!("{name}\n"));
            let task = tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    count.fetch_add(1, Ordering::SeqCst);
                    let greeting = greeting.clone();
                    tokio::spawn(async move {
                        if stream.write_all(greeting.as_bytes()).await.is_err() {
                            return;
                        }
                        let mut buf = [0u8; 4096];
                        while let Ok(n) = stream.read(&mut buf).await {
                            if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
            members.push(MemberServer {
                name: name.clone(),
                port,
                accepted,
                task,
            });
        }
        Ok(MemberServers(members))
    }
}
