//! The team's working clone, through libgit2 (no `git` program): fetch the remote's `main`, reset the
//! clone to it, commit files, push. The clone is a cache of the remote: every sync starts from the
//! remote's tip, and nothing in the clone is trusted before it is checked.

use crate::error::{Error, Result};
use git2::{build::CheckoutBuilder, FetchOptions, Oid, PushOptions, RemoteCallbacks, Repository};
use std::path::{Path, PathBuf};

/// The branch a team lives on.
const BRANCH: &str = "main";
const REMOTE_REF: &str = "refs/remotes/origin/main";
const LOCAL_REF: &str = "refs/heads/main";

fn git_error(what: &str, e: &git2::Error) -> Error {
    Error::team(format!("{what}: {}", e.message()))
}

/// Callbacks that answer a remote's request for credentials the way `git` would without asking: over
/// ssh, the keys of the user's ssh agent (`SSH_AUTH_SOCK`); over https, the user's git credential
/// helper (`git config credential.helper`). Each kind is offered once: a remote that asks again has
/// refused it, and the error says what to set up instead of looping.
fn callbacks<'a>() -> RemoteCallbacks<'a> {
    let mut tried = Vec::<git2::CredentialType>::new();
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |url, username, allowed| {
        if allowed.contains(git2::CredentialType::SSH_KEY) && !tried.contains(&git2::CredentialType::SSH_KEY) {
            tried.push(git2::CredentialType::SSH_KEY);
            return git2::Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
            && !tried.contains(&git2::CredentialType::USER_PASS_PLAINTEXT)
        {
            tried.push(git2::CredentialType::USER_PASS_PLAINTEXT);
            if let Ok(config) = git2::Config::open_default() {
                return git2::Cred::credential_helper(&config, url, username);
            }
        }
        if allowed.contains(git2::CredentialType::USERNAME) && !tried.contains(&git2::CredentialType::USERNAME) {
            tried.push(git2::CredentialType::USERNAME);
            return git2::Cred::username(username.unwrap_or("git"));
        }
        Err(git2::Error::from_str(if allowed.contains(git2::CredentialType::SSH_KEY) {
            "the remote refused the ssh agent's keys: start ssh-agent and add the key this remote knows (ssh-add), then sync again"
        } else {
            "the remote asked for a user name and password, and no git credential helper gave them: set one up (git config --global credential.helper store, or your host's helper) with a token that may read and push this repository"
        }))
    });
    cb
}

/// A working clone of a team repository.
pub(crate) struct Clone {
    repo: Repository,
    dir: PathBuf,
}

/// Makes `dir` (and missing parents) readable by this user only.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| Error::Storage(format!("making {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::Storage(format!("protecting {}: {e}", dir.display())))?;
    }
    Ok(())
}

impl Clone {
    /// Opens the clone in `dir`, or makes an empty one there whose `origin` is `url`.
    pub(crate) fn open_or_init(dir: &Path, url: &str) -> Result<Self> {
        let repo = if dir.join(".git").exists() {
            Repository::open(dir).map_err(|e| git_error("opening the team's working clone", &e))?
        } else {
            private_dir(dir)?;
            let repo = Repository::init(dir)
                .map_err(|e| git_error("making the team's working clone", &e))?;
            repo.remote("origin", url)
                .map_err(|e| git_error("naming the team's remote", &e))?;
            repo
        };
        if repo
            .find_remote("origin")
            .ok()
            .and_then(|r| r.url().map(str::to_string))
            .as_deref()
            != Some(url)
        {
            repo.remote_set_url("origin", url)
                .map_err(|e| git_error("naming the team's remote", &e))?;
        }
        Ok(Self {
            repo,
            dir: dir.to_path_buf(),
        })
    }

    /// Fetches the remote's `main` and answers its tip (None: the remote has no commits yet).
    pub(crate) fn fetch(&self) -> Result<Option<Oid>> {
        let mut remote = self
            .repo
            .find_remote("origin")
            .map_err(|e| git_error("finding the team's remote", &e))?;
        let mut opts = FetchOptions::new();
        opts.prune(git2::FetchPrune::On);
        opts.remote_callbacks(callbacks());
        remote
            .fetch(
                &[&format!("+refs/heads/{BRANCH}:{REMOTE_REF}")],
                Some(&mut opts),
                None,
            )
            .map_err(|e| git_error("fetching from the team's remote", &e))?;
        match self.repo.refname_to_id(REMOTE_REF) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_error("reading the remote's branch", &e)),
        }
    }

    /// Makes the clone's `main`, index and files exactly `tip` (files not in it removed).
    pub(crate) fn reset_to(&self, tip: Oid) -> Result<()> {
        let commit = self
            .repo
            .find_commit(tip)
            .map_err(|e| git_error("reading the remote's commit", &e))?;
        self.repo
            .reference(LOCAL_REF, tip, true, "keystead: reset to the remote")
            .map_err(|e| git_error("moving the clone's branch", &e))?;
        self.repo
            .set_head(LOCAL_REF)
            .map_err(|e| git_error("moving the clone's branch", &e))?;
        let mut co = CheckoutBuilder::new();
        co.force().remove_untracked(true).remove_ignored(true);
        self.repo
            .reset(commit.as_object(), git2::ResetType::Hard, Some(&mut co))
            .map_err(|e| git_error("resetting the working clone", &e))?;
        Ok(())
    }

    /// The local branch's tip, if it has one.
    pub(crate) fn head(&self) -> Option<Oid> {
        self.repo.refname_to_id(LOCAL_REF).ok()
    }

    /// Writes `files` (path inside the repository, contents) into the working tree, commits them on
    /// top of the local branch as `author`, and answers the new commit.
    pub(crate) fn commit(
        &self,
        files: &[(String, Vec<u8>)],
        message: &str,
        author: &str,
    ) -> Result<Oid> {
        let mut index = self
            .repo
            .index()
            .map_err(|e| git_error("reading the clone's index", &e))?;
        for (path, bytes) in files {
            let full = self.dir.join(path);
            if let Some(parent) = full.parent() {
                private_dir(parent)?;
            }
            std::fs::write(&full, bytes)
                .map_err(|e| Error::Storage(format!("writing {}: {e}", full.display())))?;
            index
                .add_path(Path::new(path))
                .map_err(|e| git_error("adding a file to the clone's index", &e))?;
        }
        index
            .write()
            .map_err(|e| git_error("writing the clone's index", &e))?;
        let tree_id = index
            .write_tree()
            .map_err(|e| git_error("writing the commit's tree", &e))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|e| git_error("reading the commit's tree", &e))?;
        let sig = git2::Signature::now(author, "keystead@localhost")
            .map_err(|e| git_error("naming the commit's author", &e))?;
        let parent = self.head().and_then(|oid| self.repo.find_commit(oid).ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let oid = self
            .repo
            .commit(Some(LOCAL_REF), &sig, &sig, message, &tree, &parents)
            .map_err(|e| git_error("committing", &e))?;
        if parent.is_none() {
            self.repo
                .set_head(LOCAL_REF)
                .map_err(|e| git_error("moving the clone's branch", &e))?;
        }
        Ok(oid)
    }

    /// Pushes the local `main` to the remote. A remote that moved on meanwhile refuses it (no force).
    pub(crate) fn push(&self) -> Result<()> {
        let mut remote = self
            .repo
            .find_remote("origin")
            .map_err(|e| git_error("finding the team's remote", &e))?;
        let mut rejected: Option<String> = None;
        {
            let mut callbacks = callbacks();
            callbacks.push_update_reference(|_, status| {
                if let Some(s) = status {
                    rejected = Some(s.to_string());
                }
                Ok(())
            });
            let mut opts = PushOptions::new();
            opts.remote_callbacks(callbacks);
            remote
                .push(&[&format!("{LOCAL_REF}:refs/heads/{BRANCH}")], Some(&mut opts))
                .map_err(|e| {
                    Error::team(format!(
                        "the team's remote did not take this member's changes ({}); nothing of them is recorded as sent: sync the team again",
                        e.message()
                    ))
                })?;
        }
        if let Some(why) = rejected {
            return Err(Error::team(format!(
                "the team's remote refused this member's changes ({why}): someone pushed meanwhile. Nothing of them is recorded as sent: sync the team again"
            )));
        }
        Ok(())
    }

    /// The file at `path` in the working tree, if present.
    pub(crate) fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.dir.join(path)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Storage(format!("reading {path} of the team: {e}"))),
        }
    }

    /// The names of the files directly in `folder` of the working tree, sorted.
    pub(crate) fn list(&self, folder: &str) -> Result<Vec<String>> {
        let dir = self.dir.join(folder);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::Storage(format!("reading {folder} of the team: {e}"))),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| Error::Storage(e.to_string()))?;
            if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                if let Some(name) = entry.file_name().to_str() {
                    out.push(name.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}
