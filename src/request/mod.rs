//! `lianxin request`: service requests (诉求) against the database, for scripting and for
//! the office without a console: list, show (the task sheet, 任务单), create, resolve,
//! feedback. The command line acts as an admin (`Actor::command_line`), like the other
//! database commands; every change is audited with no staff id and written to the
//! request's timeline. The workflow rules are the store's, so a move the console would
//! refuse is refused here too, with the same Chinese message naming the field.

mod sheet;

use anyhow::{bail, Context};
use chrono::Utc;
use lianxin_store::request_rules::{Action, Actor};
use lianxin_store::{Alarm, Channel, FeedbackResult, NewRequest, RequestFilter, Store, StoreError};

/// `lianxin request …`
#[derive(Debug, clap::Subcommand)]
pub enum RequestCommand {
    /// List requests, newest first (or most urgent first with --alarm).
    List {
        /// Only open requests.
        #[arg(long)]
        open: bool,
        /// Only open requests of these colours now, e.g. orange,red.
        #[arg(long, value_delimiter = ',', value_parser = parse_alarm)]
        alarm: Vec<Alarm>,
        /// Only this household's.
        #[arg(long)]
        household: Option<i64>,
        /// Only those this staff member (user name) is responsible for.
        #[arg(long)]
        responsible: Option<String>,
        /// Only the manual return-visit list: resolved, no feedback yet or the resident
        /// was not reached, no automatic return visit queued or under way.
        #[arg(long)]
        return_visit_due: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the task sheet (任务单) of a request, with its timeline.
    Show {
        /// Request id.
        id: i64,
        /// Print JSON instead of the sheet.
        #[arg(long)]
        json: bool,
    },
    /// Record a request; prints its id. The responsible person defaults to the
    /// household's block captain, the alarm times to the category's.
    Create {
        /// The household (see `lianxin search`); or name an unknown caller.
        #[arg(long)]
        household: Option<i64>,
        /// The resident (a member of the household).
        #[arg(long)]
        resident: Option<i64>,
        /// phone, walk-in or visit.
        #[arg(long, default_value = "phone", value_parser = parse_channel)]
        channel: Channel,
        /// Category as item or item.class, e.g. 设施维修.路灯.
        #[arg(long)]
        category: String,
        /// What is asked.
        #[arg(long)]
        content: String,
        /// Grade 1 (normal) to 3 (urgent).
        #[arg(long, default_value_t = 1)]
        grade: i64,
        /// Responsible staff member (user name).
        #[arg(long)]
        responsible: Option<String>,
        /// An unknown caller's name.
        #[arg(long, default_value = "")]
        caller_name: String,
        /// An unknown caller's number.
        #[arg(long, default_value = "")]
        caller_number: String,
    },
    /// Enter the result: the request closes itself (自动消单).
    Resolve {
        /// Request id.
        id: i64,
        /// What was done.
        #[arg(long)]
        result: String,
        /// A note for the timeline.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record reporting the result back to the resident.
    Feedback {
        /// Request id.
        id: i64,
        /// satisfied, not-satisfied or not-reached.
        #[arg(long, value_parser = parse_feedback)]
        result: FeedbackResult,
        /// How they were asked, e.g. 电话回访.
        #[arg(long, default_value = "电话回访")]
        how: String,
        /// A note for the timeline.
        #[arg(long, default_value = "")]
        note: String,
    },
}

fn parse_alarm(s: &str) -> Result<Alarm, String> {
    match s.trim() {
        "green" => Ok(Alarm::Green),
        "orange" => Ok(Alarm::Orange),
        "red" => Ok(Alarm::Red),
        _ => Err(format!("{s:?}: use green, orange or red")),
    }
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    Channel::parse(&s.replace('-', "_"))
        .ok_or_else(|| format!("{s:?}: use phone, walk-in or visit"))
}

fn parse_feedback(s: &str) -> Result<FeedbackResult, String> {
    FeedbackResult::parse(&s.replace('-', "_"))
        .ok_or_else(|| format!("{s:?}: use satisfied, not-satisfied or not-reached"))
}

/// A store error as the user should read it: a refusal names its field.
fn explain(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Refused(r) => anyhow::anyhow!("{} ({})", r, r.field()),
        e => e.into(),
    }
}

fn staff_id(store: &Store, username: &str) -> anyhow::Result<i64> {
    match store
        .staff_list()?
        .into_iter()
        .find(|s| s.username == username)
    {
        Some(s) => Ok(s.id),
        None => bail!("there is no account {username:?}; `lianxin staff list` shows them"),
    }
}

/// Runs one `request` command.
pub fn run(store: &Store, cmd: &RequestCommand) -> anyhow::Result<()> {
    let now = Utc::now();
    let cli = Actor::command_line();
    match cmd {
        RequestCommand::List {
            open,
            alarm,
            household,
            responsible,
            return_visit_due,
            limit,
            json,
        } => {
            let filter = RequestFilter {
                open_only: *open,
                return_visit_due: *return_visit_due,
                alarms: alarm.clone(),
                household_id: *household,
                responsible: responsible
                    .as_deref()
                    .map(|u| staff_id(store, u))
                    .transpose()?,
                limit: *limit,
                ..RequestFilter::default()
            };
            let list = store.list_requests(&filter, now)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{}", sheet::list(&list));
            }
        }
        RequestCommand::Show { id, json } => {
            let Some(detail) = store.request_detail(*id, now)? else {
                bail!("there is no request {id}");
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print!("{}", sheet::task_sheet(&detail));
            }
        }
        RequestCommand::Create {
            household,
            resident,
            channel,
            category,
            content,
            grade,
            responsible,
            caller_name,
            caller_number,
        } => {
            let (item, class) = category.split_once('.').unwrap_or((category, ""));
            let new = NewRequest {
                household_id: *household,
                resident_id: *resident,
                category_class: class.to_owned(),
                grade: *grade,
                responsible_staff_id: responsible
                    .as_deref()
                    .map(|u| staff_id(store, u))
                    .transpose()?,
                caller_name: caller_name.clone(),
                caller_number: caller_number.clone(),
                ..NewRequest::new(*channel, item, content)
            };
            let id = store
                .create_request(&new, &cli, now)
                .map_err(explain)
                .context("request not recorded")?;
            println!("{id}");
        }
        RequestCommand::Resolve { id, result, note } => {
            let action = Action::Resolve {
                result: result.clone(),
            };
            let r = store
                .apply_request_action(*id, &cli, &action, note, now)
                .map_err(explain)
                .with_context(|| format!("request {id} not resolved"))?;
            println!("request {} resolved: {}", r.id, r.stage.label_zh());
        }
        RequestCommand::Feedback {
            id,
            result,
            how,
            note,
        } => {
            let action = Action::Feedback {
                result: *result,
                how: how.clone(),
            };
            let r = store
                .apply_request_action(*id, &cli, &action, note, now)
                .map_err(explain)
                .with_context(|| format!("feedback of request {id} not recorded"))?;
            println!(
                "request {}: feedback {} recorded ({})",
                r.id,
                result.label_zh(),
                r.stage.label_zh()
            );
        }
    }
    Ok(())
}
