//! Turns cursor-paginated endpoints into a `Stream` of items.

use std::future::Future;

use futures_util::{Stream, TryStreamExt as _, stream};

use super::ClientError;
use crate::model::envelope::{Page, PageInfo};

/// The cursor of the next page, if the server says there is one.
pub(crate) fn next_cursor<T>(page: &Page<T>) -> Option<String> {
    let PageInfo { cursor, has_more } = &page.pagination;
    if *has_more && !page.data.is_empty() { cursor.clone() } else { None }
}

/// Streams every item of every page: `fetch` returns one page's items and the query
/// for the next page, or `None` when it was the last.
pub(crate) fn flatten_pages<T, Q, F, Fut>(first: Q, mut fetch: F) -> impl Stream<Item = Result<T, ClientError>>
where
    F: FnMut(Q) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<Q>), ClientError>>,
{
    stream::try_unfold(Some(first), move |state| {
        let pending = state.map(&mut fetch);
        async move {
            match pending {
                None => Ok(None),
                Some(page) => page.await.map(Some),
            }
        }
    })
    .map_ok(|items: Vec<T>| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}
