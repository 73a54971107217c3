//! The operators' states a supervisor's or admin's console receives in `hello`
//! (`operators`): everyone who takes calls and has a console open, with their state. Without
//! it a watcher's panel stayed empty until someone changed state, because `operator.state`
//! frames only report changes.

use super::{on_duty, HubState};
use crate::directory::Staff;
use crate::event::OperatorState;
use crate::protocol::OperatorRow;

/// The roster for `staff`'s new console: `None` unless they watch operators.
pub(super) fn roster(
    st: &HubState,
    staff: &Staff,
    initial: OperatorState,
) -> Option<Vec<OperatorRow>> {
    if !staff.role.watches_operators() {
        return None;
    }
    let mut rows: Vec<OperatorRow> = Vec::new();
    for c in st.consoles.values() {
        if !c.staff.role.takes_calls() || rows.iter().any(|r| r.staff_id == c.staff.id) {
            continue;
        }
        let state = st.states.get(&c.staff.id).copied().unwrap_or(initial);
        rows.push(OperatorRow {
            staff_id: c.staff.id,
            display_name: c.staff.display_name.clone(),
            state,
            on_duty: on_duty(&c.staff, state),
        });
    }
    rows.sort_by_key(|r| r.staff_id);
    Some(rows)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lianxin_store::Role;
    use serde_json::Value;
    use tokio_util::sync::CancellationToken;

    use crate::directory::Staff;
    use crate::event::OperatorState;
    use crate::hub::test_kit::staff;
    use crate::hub::{Hub, HubConfig};

    fn hello(h: &Hub, who: Arc<Staff>) -> Value {
        let mut reg = h.register(who, "t".into()).unwrap();
        let frame = reg.rx.try_recv().unwrap();
        serde_json::from_str(frame.text.as_str()).unwrap()
    }

    #[test]
    fn a_supervisor_gets_the_operators_states_in_hello() {
        let h = Hub::new(
            HubConfig {
                queue: 16,
                max_consoles: 100,
                max_consoles_per_staff: 100,
                max_live_calls: 100,
                initial_state: OperatorState::Available,
            },
            CancellationToken::new(),
        );
        let _op = h.register(staff(1, Role::Operator), "a".into()).unwrap();
        let _op2 = h.register(staff(2, Role::Operator), "b".into()).unwrap();
        let _op2b = h.register(staff(2, Role::Operator), "b".into()).unwrap();
        h.set_state(&staff(2, Role::Operator), OperatorState::Away);
        let _cap = h.register(staff(3, Role::Captain), "c".into()).unwrap();
        let sup = hello(&h, staff(5, Role::Supervisor));
        let ops = sup["operators"].as_array().unwrap();
        let ids: Vec<i64> = ops
            .iter()
            .map(|o| o["staff_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [1, 2], "the others who take calls, once each: {ops:?}");
        assert_eq!(ops[0]["state"], "available");
        assert_eq!(ops[0]["display_name"], "员工1");
        assert_eq!(
            (ops[1]["state"].as_str(), ops[1]["on_duty"].as_bool()),
            (Some("away"), Some(false))
        );
        assert!(hello(&h, staff(6, Role::Operator))
            .get("operators")
            .is_none());
    }
}
