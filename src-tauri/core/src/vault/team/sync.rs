//! A sync: fetch the team's remote, check every member list and entry file against what this vault
//! trusts (the preview, nothing applied), then apply what passed in one transaction and push this
//! member's own changes.

use super::*;

impl Vault {
    /// Fetches the team, resets its clone to the remote and works out what a sync would do: the newest
    /// member list that checks, each entry file checked by the rules, the keys changed here. Changes
    /// nothing in the vault.
    pub fn team_sync_preview(&mut self, team: Option<&str>) -> Result<TeamSync> {
        let identity = self.sharing_identity()?;
        let me = identity.sharing_key();
        let (record, generation) = self.team_record(team)?;
        let trusted = record.list()?;
        let clone = Clone::open_or_init(&self.team_clone_dir(record.id), &record.remote)?;
        let tip = clone.fetch()?.ok_or_else(|| {
            Error::team("the team's remote has no commits: was it emptied or replaced?")
        })?;
        clone.reset_to(tip)?;

        let mut preview = TeamSyncPreview {
            team: record.name.clone(),
            members_version: trusted.version,
            members_changed_from: None,
            members: member_infos(&trusted, &me),
            list_refusal: None,
            list_reason: None,
            entries: Vec::new(),
            outgoing: Vec::new(),
            withheld: Vec::new(),
        };
        let mut sync = TeamSync {
            preview: preview.clone(),
            team_id: record.id,
            generation,
            new_list: None,
            left: Vec::new(),
            incoming: Vec::new(),
            outgoing: Vec::new(),
            conflicts: Vec::new(),
            kept_mine: Vec::new(),
            list: None,
            role: None,
        };
        let lists = read_lists(&clone)?;
        let checked = lists
            .as_ref()
            .map_err(|r| r.clone())
            .and_then(|lists| check_chain(Some(&trusted), lists).cloned());
        let list = match checked {
            Ok(l) => l,
            Err(r) => {
                preview.list_reason = Some(r.to_string());
                preview.list_refusal = Some(r);
                sync.preview = preview;
                return Ok(sync);
            }
        };
        if list.version != trusted.version {
            preview.members_changed_from = Some(trusted.version);
            preview.members_version = list.version;
            preview.members = member_infos(&list, &me);
            sync.new_list = Some(list.text.clone());
            if let Ok(lists) = &lists {
                let from = trusted.version as usize - 1;
                let upto = (list.version as usize).min(lists.len());
                let mut left: Vec<String> = lists[from.min(upto)..upto]
                    .iter()
                    .flat_map(|l| l.members.iter())
                    .filter(|m| list.member_by_key(&m.key).is_none())
                    .map(|m| m.name.clone())
                    .collect();
                left.sort();
                left.dedup();
                sync.left = left;
            }
        }
        let role = role_of(&list, &me);

        let cells = self.cells();
        let entries = read_entries(&self.conn, &cells)?;
        let local_fp = |id: Uuid| -> Result<Option<(KeyEntry, String)>> {
            match entries.iter().find(|(e, _)| e.id == id) {
                Some((e, g)) => {
                    let (s, _) = read_secrets(&self.conn, &cells, e, *g)?;
                    Ok(Some((e.clone(), content_fp(&cells, e, &s)?)))
                }
                None => Ok(None),
            }
        };
        let mut newer_ids = Vec::new();
        for name in clone.list("keys")? {
            let file = format!("keys/{name}");
            let refuse = |preview: &mut TeamSyncPreview, key_id: Option<Uuid>, r: Refusal| {
                preview.entries.push(TeamEntryPreview {
                    file: file.clone(),
                    status: TeamEntryStatus::Refused,
                    key_id,
                    name: None,
                    revision: None,
                    by: None,
                    changed_fields: Vec::new(),
                    secrets_changed: false,
                    can_withdraw: false,
                    reason: Some(r.to_string()),
                    refusal: Some(r),
                });
            };
            let Some(file_key) = name
                .strip_suffix(".age")
                .and_then(|s| Uuid::parse_str(s).ok())
            else {
                refuse(
                    &mut preview,
                    None,
                    Refusal::Unreadable {
                        detail: "its name is not <key id>.age".into(),
                    },
                );
                continue;
            };
            let bytes = clone.read(&file)?.unwrap_or_default();
            let file_hash = sha256_hex(&bytes);
            let opened = match share::open(&bytes, Some(&identity), None) {
                Ok(o) if o.entries.len() == 1 => o,
                Ok(_) => {
                    refuse(
                        &mut preview,
                        Some(file_key),
                        Refusal::Unreadable {
                            detail: "it holds more than one key".into(),
                        },
                    );
                    continue;
                }
                Err(e) => {
                    refuse(
                        &mut preview,
                        Some(file_key),
                        Refusal::Unreadable {
                            detail: e.to_string(),
                        },
                    );
                    continue;
                }
            };
            let held = record.keys.get(&file_key);
            let facts = EntryFacts {
                signer: opened.signer.as_ref(),
                stamp: opened.team,
                key_id: opened.entries[0].id,
                file_hash: &file_hash,
            };
            let verdict = verify_entry(
                &list,
                record.id,
                file_key,
                &facts,
                held.map(|h| HeldEntry {
                    revision: h.revision,
                    file_hash: &h.file_hash,
                }),
            );
            let (revision, by) = match verdict {
                Ok(EntryVerdict::Unchanged) => continue,
                Ok(EntryVerdict::Newer { revision, by }) => (revision, by),
                Err(r) => {
                    let e = TeamEntryPreview {
                        file: file.clone(),
                        status: TeamEntryStatus::Refused,
                        key_id: Some(file_key),
                        name: Some(opened.entries[0].checked.name.clone()),
                        revision: opened.team.map(|t| t.revision),
                        by: None,
                        changed_fields: Vec::new(),
                        secrets_changed: false,
                        can_withdraw: false,
                        reason: Some(r.to_string()),
                        refusal: Some(r),
                    };
                    preview.entries.push(e);
                    continue;
                }
            };
            let shared = &opened.entries[0];
            if held.is_none() && entries.iter().any(|(e, _)| e.id == file_key) {
                let r = Refusal::EntryForPersonalKey;
                preview.entries.push(TeamEntryPreview {
                    file: file.clone(),
                    status: TeamEntryStatus::Refused,
                    key_id: Some(file_key),
                    name: Some(shared.checked.name.clone()),
                    revision: Some(revision),
                    by: Some(by),
                    changed_fields: Vec::new(),
                    secrets_changed: false,
                    can_withdraw: false,
                    reason: Some(r.to_string()),
                    refusal: Some(r),
                });
                continue;
            }
            newer_ids.push(file_key);
            let c = classify(&self.conn, &cells, &entries, shared)?;
            let local = local_fp(file_key)?;
            let changed_here = match (held, &local) {
                (Some(h), Some((_, fp))) => *fp != h.content,
                _ => false,
            };
            let (status, reason) = if changed_here {
                (
                    TeamEntryStatus::Conflict,
                    Some(format!(
                        "changed here and by {by} since the last sync: neither is applied or sent until you keep one (mine or theirs)"
                    )),
                )
            } else if c.status == ShareEntryStatus::Conflicting {
                (
                    TeamEntryStatus::Conflict,
                    Some(format!(
                        "another key of yours is named '{}': rename it, then sync again",
                        shared.checked.name
                    )),
                )
            } else if local.is_some() {
                (TeamEntryStatus::Changed, None)
            } else {
                (TeamEntryStatus::New, None)
            };
            if changed_here {
                if let Some((e, _)) = &local {
                    preview.withheld.push(e.name.clone());
                }
            }
            preview.entries.push(TeamEntryPreview {
                file: file.clone(),
                status,
                key_id: Some(file_key),
                name: Some(shared.checked.name.clone()),
                revision: Some(revision),
                by: Some(by.clone()),
                changed_fields: c.changed_fields,
                secrets_changed: c.secrets_changed,
                can_withdraw: shared.checked.scopes.contains(&Scope::Withdraw),
                refusal: None,
                reason,
            });
            if matches!(status, TeamEntryStatus::New | TeamEntryStatus::Changed) {
                let by_fingerprint = opened
                    .signer
                    .as_ref()
                    .map(|s| s.fingerprint())
                    .unwrap_or_default();
                sync.incoming.push(Incoming {
                    key_id: file_key,
                    opened,
                    revision,
                    by,
                    by_fingerprint,
                    file_hash,
                });
            } else if let (true, Some((e, _))) = (changed_here, &local) {
                let by_fingerprint = opened
                    .signer
                    .as_ref()
                    .map(|s| s.fingerprint())
                    .unwrap_or_default();
                sync.conflicts.push((
                    e.name.clone(),
                    Incoming {
                        key_id: file_key,
                        opened,
                        revision,
                        by,
                        by_fingerprint,
                        file_hash,
                    },
                ));
            }
        }
        // This member's changes since the last sync.
        for (id, held) in &record.keys {
            if newer_ids.contains(id) {
                continue;
            }
            let Some((e, fp)) = local_fp(*id)? else {
                continue;
            };
            if fp == held.content || e.status != KeyStatus::Active {
                continue;
            }
            if role == Some(Role::Write) {
                preview.outgoing.push(e.name.clone());
                sync.outgoing.push(*id);
            } else {
                preview.withheld.push(e.name.clone());
            }
        }
        sync.preview = preview;
        sync.list = Some(list);
        sync.role = role;
        Ok(sync)
    }

    /// Applies a checked sync: the newer member list and every accepted entry in one transaction with
    /// its audit entries, then commits and pushes this member's changes, recorded as sent (in a second
    /// transaction) only once the remote took them. A sync whose member list was refused applies nothing.
    pub fn team_sync_apply(&mut self, sync: TeamSync) -> Result<TeamSyncSummary> {
        if let Some(r) = &sync.preview.list_refusal {
            return Err(Error::team(format!(
                "nothing was applied: the team's member list was refused ({r})"
            )));
        }
        let identity = self.sharing_identity()?;
        let list = sync
            .list
            .clone()
            .ok_or_else(|| Error::team("nothing was applied: the sync was not checked"))?;
        let mut summary = TeamSyncSummary {
            members_version: list.version,
            refused: sync
                .preview
                .entries
                .iter()
                .filter(|e| e.status == TeamEntryStatus::Refused)
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.name.clone().unwrap_or_else(|| e.file.clone()),
                        e.reason.clone().unwrap_or_default()
                    )
                })
                .collect(),
            ..Default::default()
        };
        let team_id = sync.team_id;
        let generation = self.write(|tx| {
            let mut record = tx.team_at(team_id, sync.generation)?;
            let mut entries = read_entries(&tx.tx, &tx.cells)?;
            for inc in &sync.incoming {
                let shared = &inc.opened.entries[0];
                let from = format!(
                    "team {}, revision {} by {} ({})",
                    record.name, inc.revision, inc.by, inc.by_fingerprint
                );
                let existing = entries.iter().find(|(e, _)| e.id == inc.key_id).cloned();
                let entry = match existing {
                    Some((old, g)) => {
                        let updated = tx.import_replace(shared, old, g, &from)?;
                        summary.changed.push(updated.0.name.clone());
                        if let Some(slot) = entries.iter_mut().find(|(e, _)| e.id == inc.key_id) {
                            *slot = updated.clone();
                        }
                        updated.0
                    }
                    None => {
                        let e = tx.import_new(shared, inc.key_id, shared.checked.name.clone())?;
                        summary.added.push(e.name.clone());
                        entries.push((e.clone(), 1));
                        e
                    }
                };
                tx.audit(
                    AuditAction::TeamKeyReceived,
                    Some(&entry),
                    Some(format!("from {from}")),
                )?;
                record.keys.insert(
                    inc.key_id,
                    HeldKey {
                        revision: inc.revision,
                        file_hash: inc.file_hash.clone(),
                        content: content_fp(&tx.cells, &entry, &shared.secrets)?,
                        by: inc.by.clone(),
                    },
                );
            }
            for inc in &sync.kept_mine {
                // Their revision is seen and set aside: this vault's version goes out above it (the
                // content fingerprint stays, so the local change is still this member's to send).
                if let Some(h) = record.keys.get_mut(&inc.key_id) {
                    h.revision = inc.revision;
                    h.file_hash = inc.file_hash.clone();
                }
                let (e, _) = find_row(&tx.tx, &tx.cells, &inc.key_id.to_string())?;
                tx.audit(
                    AuditAction::KeyEdited,
                    Some(&e),
                    Some(format!(
                        "team {} conflict: kept this vault's version over revision {} by {} ({})",
                        record.name, inc.revision, inc.by, inc.by_fingerprint
                    )),
                )?;
                summary.kept.push(e.name.clone());
            }
            let mut rotate = Vec::new();
            if let Some(text) = &sync.new_list {
                // A member the new list leaves out (of this list or any between) could read every team
                // key: each is to be rotated.
                record.members = text.clone();
                for member in &sync.left {
                    rotate.extend(tx.mark_member_left(&record, member)?);
                }
                rotate.sort();
                rotate.dedup();
            }
            record.last_sync = Some(tx.now);
            let mut detail = format!("team {}", record.name);
            if let Some(from) = sync.preview.members_changed_from {
                detail += &format!(
                    "; member list version {from} → {} ({})",
                    list.version,
                    list.members
                        .iter()
                        .map(|m| format!("{} {}", m.name, m.role.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            for (what, v) in [("added", &summary.added), ("changed", &summary.changed)] {
                if !v.is_empty() {
                    detail += &format!("; {what}: {}", v.join(", "));
                }
            }
            if !rotate.is_empty() {
                detail += &format!("; a member left, rotate: {}", rotate.join(", "));
            }
            if !summary.refused.is_empty() {
                detail += &format!("; refused: {}", summary.refused.join("; "));
            }
            let g = tx.put_team(&record, Some(sync.generation))?;
            tx.audit(AuditAction::TeamSynced, None, Some(detail))?;
            Ok(g)
        })?;
        if sync.outgoing.is_empty() || sync.role != Some(Role::Write) {
            return Ok(summary);
        }
        match self.team_publish(
            team_id,
            generation,
            &identity,
            &list,
            &sync.outgoing,
            "sync",
        ) {
            Ok(sent) => summary.sent = sent,
            Err(e) => summary.not_sent = Some(e.to_string()),
        }
        Ok(summary)
    }

    /// Writes the entry files of `ids` (their content here, each at the next revision), commits and
    /// pushes them, then records the revisions (one transaction, one `how` audit event per key).
    pub(super) fn team_publish(
        &mut self,
        team_id: Uuid,
        generation: u64,
        identity: &ShareIdentity,
        list: &MemberList,
        ids: &[Uuid],
        how: &str,
    ) -> Result<Vec<String>> {
        let (record, _) = pick_team(
            read_teams(&self.conn, &self.cells())?,
            Some(&team_id.to_string()),
        )?;
        let clone = Clone::open_or_init(&self.team_clone_dir(team_id), &record.remote)?;
        let now = self.clock.now();
        let cells = self.cells();
        let mut files = Vec::new();
        let mut sent: Vec<(Uuid, String, HeldKey)> = Vec::new();
        for id in ids {
            let (e, g) = find_row(&self.conn, &cells, &id.to_string())?;
            let (s, _) = read_secrets(&self.conn, &cells, &e, g)?;
            let revision = record
                .keys
                .get(id)
                .map_or(1, |h| h.revision.saturating_add(1));
            let bytes = entry_file(identity, &record.me, now, list, team_id, revision, &e, &s)?;
            sent.push((
                *id,
                e.name.clone(),
                HeldKey::written(&cells, &e, &s, revision, &bytes, &record.me)?,
            ));
            files.push((key_file(*id), bytes));
        }
        let names: Vec<String> = sent.iter().map(|(_, n, _)| n.clone()).collect();
        clone.commit(
            &files,
            &format!("{} {how}: {}", record.me, names.join(", ")),
            &record.me,
        )?;
        clone.push()?;
        let action = if how == "share" {
            AuditAction::TeamKeyShared
        } else {
            AuditAction::TeamKeySent
        };
        self.write(|tx| {
            let mut record = tx.team_at(team_id, generation)?;
            for (id, _, held) in &sent {
                let (e, _) = find_row(&tx.tx, &tx.cells, &id.to_string())?;
                tx.audit(
                    action,
                    Some(&e),
                    Some(format!(
                        "team {}, revision {}, encrypted to {}",
                        record.name,
                        held.revision,
                        list.members
                            .iter()
                            .map(|m| m.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                )?;
                record.keys.insert(*id, held.clone());
            }
            tx.put_team(&record, Some(generation))?;
            Ok(())
        })?;
        Ok(names)
    }
}
