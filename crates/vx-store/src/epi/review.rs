//! What the commune's review pages read: one retest order, the cases of a unit (paged),
//! the conflicting results and case proposals of a unit's samples and people.

use vx_domain::epi::{
    Case, CaseProposal, ConflictStatus, OrderStatus, ProposalStatus, ResultConflict, RetestOrder,
};
use vx_domain::Unit;

use super::cases::CaseRow;
use super::results::{proposal_from, ConflictRow, CONFLICT_SELECT};
use super::word;
use crate::{path_end, with_pool, Result, Store};

#[derive(sqlx::FromRow)]
struct NamedCase {
    #[sqlx(flatten)]
    case: CaseRow,
    full_name: String,
}

impl Store {
    /// One retest order.
    pub async fn retest_order(&self, id: i64) -> Result<Option<RetestOrder>> {
        let row: Option<(i64, i64, i64, i64, String, Option<i64>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, pool_sample_id, person_id, round_id, status, done_sample_id FROM retest_orders WHERE id = $1",
        ).bind(id).fetch_optional(p).await?);
        Ok(row.map(
            |(id, pool_sample_id, person_id, round_id, status, done_sample_id)| RetestOrder {
                id,
                pool_sample_id,
                person_id,
                round_id,
                status: word(OrderStatus::parse, &status),
                done_sample_id,
            },
        ))
    }

    /// The cases of a unit's subtree (the unit of the person on confirmation), newest
    /// first, with the person's name: `limit` of them with an id below `before_id` (keyset
    /// paging: each page is one index range per unit).
    pub async fn cases_in(
        &self,
        unit: &Unit,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(Case, String)>> {
        let rows: Vec<NamedCase> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.id, c.person_id, c.unit_id, c.confirmed_on, c.source, c.severity, c.place, \
             c.isolation_start, c.release_due, c.released_on, c.negative_test_on, c.outcome, c.outcome_on, \
             c.proposal_id, c.sample_id, c.source_contact_id, x.full_name \
             FROM units u JOIN cases c ON c.unit_id = u.id JOIN people x ON x.id = c.person_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.id < $3 ORDER BY c.id DESC LIMIT $4",
        ).bind(&unit.path).bind(path_end(&unit.path)).bind(before_id.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 1000)).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|r| (Case::from(r.case), r.full_name))
            .collect())
    }

    /// Conflicting results on the samples of a unit's subtree, optionally of one status, by
    /// id after `after_id`.
    pub async fn result_conflicts_in(
        &self,
        unit: &Unit,
        status: Option<ConflictStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ResultConflict>> {
        let sql = format!(
            "{CONFLICT_SELECT} JOIN units u ON u.id = s.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND ($3 = '' OR c.status = $3) AND c.id > $4 \
             ORDER BY c.id LIMIT $5"
        );
        let status = status.map(ConflictStatus::as_str).unwrap_or("");
        let rows: Vec<ConflictRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(&unit.path).bind(path_end(&unit.path)).bind(status).bind(after_id)
            .bind(limit.clamp(1, 1000)).fetch_all(p).await?);
        Ok(rows.into_iter().map(ResultConflict::from).collect())
    }

    /// Open case proposals of people in a unit's subtree, oldest first, with the name.
    pub async fn proposals_in(
        &self,
        unit: &Unit,
        limit: i64,
    ) -> Result<Vec<(CaseProposal, String)>> {
        let rows: Vec<(i64, i64, i64, String, Option<i64>, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.id, c.person_id, c.sample_id, c.status, c.case_id, x.full_name \
             FROM units u JOIN people x ON x.unit_id = u.id JOIN case_proposals c ON c.person_id = x.id \
             WHERE u.path >= $1 AND u.path < $2 AND c.status = $3 ORDER BY c.id LIMIT $4",
        ).bind(&unit.path).bind(path_end(&unit.path)).bind(ProposalStatus::Proposed.as_str())
        .bind(limit.clamp(1, 1000)).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(id, person, sample, status, case, name)| {
                (proposal_from((id, person, sample, status, case)), name)
            })
            .collect())
    }
}
