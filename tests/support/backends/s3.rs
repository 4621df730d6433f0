//! What an S3 server answers (ListObjectsV2 pages in the element structure of a real server's,
//! HeadBucket, GetBucketLocation; signatures are not checked) and, on the same port, Garage's
//! admin API v2 (its token checked). `list_page` is the tests' listing page too.

use base64::Engine;
use serde_json::json;

use super::super::fixture::{Answer, Reply, Request};

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The bench's bucket and Garage admin token (the ports file tells the bench).
pub const BENCH_BUCKET: &str = "bench";
pub const BENCH_ADMIN_TOKEN: &str = "bench-garage-admin-token";
/// Keys per page, the most S3 gives.
const PAGE_KEYS: usize = 1000;

/// One ListObjectsV2 page of `bucket` holding `objects` (key, size); `next`: the continuation
/// token when there are more.
pub fn list_page(bucket: &str, objects: &[(String, u64)], next: Option<&str>) -> String {
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="{NS}"><Name>{bucket}</Name>"#
    );
    if let Some(next) = next {
        xml.push_str(&format!(
            "<NextContinuationToken>{next}</NextContinuationToken>"
        ));
    }
    xml.push_str(&format!(
        "<KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>{}</IsTruncated>",
        objects.len(),
        next.is_some()
    ));
    for (key, size) in objects {
        xml.push_str(&format!(
            "<Contents><LastModified>2026-12-01T10:00:00Z</LastModified>\
             <ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>\
             <ETag>&#34;x&#34;</ETag><Key>{key}</Key><Size>{size}</Size>\
             <StorageClass>STANDARD</StorageClass></Contents>"
        ));
    }
    xml.push_str("<EncodingType></EncodingType></ListBucketResult>");
    xml
}

/// The bench's bucket: `objects` objects in folders of 1,000.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub objects: usize,
}

fn key(i: usize) -> String {
    format!("data/{:04}/object-{i:07}.bin", i / 1000)
}

fn size(i: usize) -> u64 {
    1_000 + (i as u64 * 7919) % 1_000_000
}

fn token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(format!("bench-offset:{offset}"))
}

fn offset(token: &str) -> Option<usize> {
    let text = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .ok()?;
    String::from_utf8(text)
        .ok()?
        .strip_prefix("bench-offset:")?
        .parse()
        .ok()
}

impl Bucket {
    pub fn bench(objects: usize) -> Bucket {
        Bucket { objects }
    }

    pub fn answer(&self, request: &Request) -> Answer {
        let p = request.path.as_str();
        let method = request.method.as_str();
        if p.starts_with("/v2/") || p == "/health" || p == "/metrics" {
            return self.admin(request);
        }
        let trimmed = p.trim_matches('/');
        let bucket = trimmed.split('/').next().unwrap_or("");
        if bucket != BENCH_BUCKET {
            let reply = Reply::xml(404, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>\
                                         <Message>The specified bucket does not exist</Message></Error>");
            return Answer::new(format!("404 {method} {p}"), reply);
        }
        if trimmed.contains('/') {
            // An object: HEAD/GET of one key.
            let reply = Reply::Full {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                body: if method == "HEAD" {
                    vec![]
                } else {
                    vec![b'x'; 16]
                },
            };
            return Answer::new(format!("{method} object"), reply);
        }
        if method == "HEAD" {
            let reply = Reply::empty(200).with_header("x-amz-bucket-region", "garage");
            return Answer::new("HeadBucket", reply);
        }
        if method != "GET" {
            let reply = Reply::xml(405, "<Error><Code>MethodNotAllowed</Code></Error>");
            return Answer::new(format!("405 {method}"), reply);
        }
        if request.query_param("location").is_some() {
            let reply = Reply::xml(200, &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><LocationConstraint xmlns=\"{NS}\">garage</LocationConstraint>"));
            return Answer::new("GetBucketLocation", reply);
        }
        let max_keys = request
            .query_param("max-keys")
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(PAGE_KEYS)
            .min(PAGE_KEYS);
        let start = match request.query_param("continuation-token") {
            None => 0,
            Some(t) => match offset(&t) {
                Some(start) => start,
                None => {
                    let reply = Reply::xml(
                        400,
                        "<Error><Code>InvalidArgument</Code><Message>The continuation token \
                                                 provided is incorrect</Message></Error>",
                    );
                    return Answer::new("400 ListObjectsV2 (bad token)", reply);
                }
            },
        };
        let end = self.objects.min(start + max_keys);
        let objects: Vec<(String, u64)> = (start..end).map(|i| (key(i), size(i))).collect();
        let next = (end < self.objects).then(|| token(end));
        let reply = Reply::xml(200, &list_page(BENCH_BUCKET, &objects, next.as_deref()));
        let listing = if request.query_param("list-type").as_deref() == Some("2") {
            "ListObjectsV2"
        } else {
            "ListObjects(v1)"
        };
        Answer::new(format!("{listing} max-keys={max_keys}"), reply).items(objects.len() as u64)
    }

    /// Garage's admin API v2.
    fn admin(&self, request: &Request) -> Answer {
        let p = request.path.as_str();
        if p == "/health" {
            return Answer::new(
                "admin /health",
                Reply::text(200, "Garage is fully operational"),
            );
        }
        if request.header("authorization") != Some(format!("Bearer {BENCH_ADMIN_TOKEN}").as_str()) {
            let reply = Reply::json(
                403,
                json!({"code": "Forbidden", "message": "Forbidden: Invalid authorization token",
                                                "region": "garage", "path": p}),
            );
            return Answer::new(format!("admin 403 {p}"), reply);
        }
        let node = "a1b2c3d4e5f60718".repeat(4);
        let reply = match p {
            "/v2/GetBucketInfo" => {
                if request.query_param("globalAlias").as_deref() != Some(BENCH_BUCKET)
                    && request.query_param("id").is_none()
                {
                    let reply = Reply::json(
                        404,
                        json!({"code": "NoSuchBucket", "message": "Bucket not found",
                                                        "region": "garage", "path": p}),
                    );
                    return Answer::new("admin 404 GetBucketInfo", reply);
                }
                let bytes: u64 = (0..self.objects).map(size).sum();
                Reply::json(
                    200,
                    json!({
                    "id": "b1c2d3e4".repeat(8), "created": "2025-07-28T10:00:00.000Z", "globalAliases": [BENCH_BUCKET],
                    "websiteAccess": false, "websiteConfig": null,
                    "keys": [{"accessKeyId": "GKbench", "name": "bench",
                              "permissions": {"read": true, "write": true, "owner": true}, "bucketLocalAliases": []}],
                    "objects": self.objects, "bytes": bytes, "unfinishedUploads": 0,
                    "unfinishedMultipartUploads": 0, "unfinishedMultipartUploadParts": 0,
                    "unfinishedMultipartUploadBytes": 0,
                    "quotas": {"maxSize": null, "maxObjects": null}}),
                )
            }
            "/v2/GetClusterHealth" => Reply::json(
                200,
                json!({
                "status": "healthy", "knownNodes": 1, "connectedNodes": 1, "storageNodes": 1,
                "storageNodesUp": 1, "partitions": 256, "partitionsQuorum": 256, "partitionsAllOk": 256}),
            ),
            "/v2/GetClusterStatus" => Reply::json(
                200,
                json!({"layoutVersion": 1, "nodes": [{
                "id": node, "isUp": true, "hostname": "bench", "addr": "127.0.0.1:3901",
                "garageVersion": "v2.5.0", "lastSeenSecsAgo": null, "draining": false,
                "role": {"zone": "dc1", "capacity": 1_000_000_000_000u64, "tags": []},
                "dataPartition": {"available": 600_000_000_000u64, "total": 1_000_000_000_000u64},
                "metadataPartition": {"available": 600_000_000_000u64, "total": 1_000_000_000_000u64},
                "resyncQueueLen": 0}]}),
            ),
            "/v2/GetNodeStatistics" => Reply::json(
                200,
                json!({"success": {node.as_str(): {
                "freeform": "", "tableStats": [],
                "blockManagerStats": {"rcEntries": 0, "resyncQueueLen": 0, "resyncErrors": 0}}},
                "error": {}}),
            ),
            "/metrics" => Reply::text(
                200,
                "api_s3_request_counter{api_endpoint=\"ListObjectsV2\"} 1\n",
            ),
            _ => {
                let reply = Reply::json(
                    404,
                    json!({"code": "NotFound", "message": "unknown admin endpoint",
                                                    "region": "garage", "path": p}),
                );
                return Answer::new(format!("admin 404 {p}"), reply);
            }
        };
        Answer::new(format!("admin {}", p.trim_start_matches("/v2/")), reply)
    }
}
