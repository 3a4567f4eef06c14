"""Agents of the console: accounts (role agent or admin, active or deactivated), sign-in sessions that
expire, and presence.

Deactivating an agent signs them out everywhere, and the conversations they had claimed go back to
the queue, keeping their place (the relay tells Rasa: step ``requeued`` in `bot.handoff.claims`);
their replies already written are still delivered. Their history stays; reactivating lets them sign
in again."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.handoff.passwords import dummy_hash, hash_password, verify_password
from bot.storage.database import Database
from bot.storage.models import Agent, AgentSession, Handoff, utcnow

ROLES = ("agent", "admin")
PRESENCES = ("online", "away", "offline")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")


class AgentError(ValueError):
    """An agent operation cannot be carried out; the message says why."""


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    display_name: str
    role: str
    language: str
    presence: str
    last_seen_at: Optional[datetime]
    active: bool = True


def is_username(text: str) -> bool:
    """Whether the text can be an agent's username: 2-64 letters, digits, '.', '_' or '-'."""
    return bool(_USERNAME.match(text or ""))


def is_admin(agent: Optional[AgentView]) -> bool:
    """Admins manage the agents and see the service's figures; agents answer customers."""
    return agent is not None and agent.active and agent.role == "admin"


@dataclass(frozen=True)
class TeamMember:
    agent: AgentView
    online: bool
    open_conversations: int


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class AgentDirectory:
    def __init__(self, database: Database, session_hours: int = 8, presence_timeout_s: int = 60) -> None:
        self._db = database
        self._session_hours = session_hours
        self._presence_timeout = timedelta(seconds=presence_timeout_s)

    # accounts ---------------------------------------------------------------------------------
    def create(self, username: str, display_name: str, password: str, role: str = "agent",
               language: str = "zh") -> AgentView:
        if not is_username(username):
            raise AgentError("a username is 2-64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AgentError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if language not in ("zh", "en"):
            raise AgentError(f"language must be zh or en, not {language!r}")
        if not display_name.strip():
            raise AgentError("a display name is needed: customers see it")
        hashed = hash_password(password)
        try:
            with self._db.session() as session, session.begin():
                session.add(Agent(username=username, display_name=display_name.strip(), password_hash=hashed,
                                  role=role, language=language))
        except IntegrityError:
            raise AgentError(f"an agent named {username!r} already exists") from None
        found = self.by_username(username)
        assert found is not None
        return found

    def set_password(self, username: str, password: str) -> None:
        hashed = hash_password(password)
        with self._db.session() as session, session.begin():
            agent = session.execute(select(Agent).where(Agent.username == username)).scalars().first()
            if agent is None:
                raise AgentError(f"no agent named {username!r}")
            agent.password_hash = hashed
            session.execute(delete(AgentSession).where(AgentSession.agent_id == agent.id))

    def by_username(self, username: str) -> Optional[AgentView]:
        with self._db.session() as session:
            agent = session.execute(select(Agent).where(Agent.username == username)).scalars().first()
            return _view(agent) if agent else None

    def get(self, agent_id: int) -> Optional[AgentView]:
        with self._db.session() as session:
            agent = session.get(Agent, agent_id)
            return _view(agent) if agent else None

    def all(self) -> List[AgentView]:
        """Every account, deactivated ones included."""
        with self._db.session() as session:
            return [_view(a) for a in session.execute(select(Agent).order_by(Agent.username)).scalars()]

    def deactivate(self, agent_id: int) -> List[int]:
        """Signs the agent out everywhere and puts their claimed conversations back in the queue, in one
        transaction; returns those conversations' handoff ids. Refused for the last active admin."""
        with self._db.session() as session, session.begin():
            agent = session.get(Agent, agent_id)
            if agent is None:
                raise AgentError(f"no agent with id {agent_id}")
            if agent.role == "admin" and agent.active and self._active_admins(session) <= 1:
                raise AgentError("the last active admin cannot be deactivated")
            agent.active, agent.presence = False, "offline"
            session.execute(delete(AgentSession).where(AgentSession.agent_id == agent_id))
            requeued = session.execute(select(Handoff.id).where(
                Handoff.agent_id == agent_id, Handoff.status == "claimed")).scalars().all()
            if requeued:
                session.execute(update(Handoff).where(Handoff.id.in_(requeued))
                                .values(status="queued", agent_id=None, claimed_at=None, rasa_pending="requeued"))
            return list(requeued)

    def reactivate(self, agent_id: int) -> None:
        with self._db.session() as session, session.begin():
            agent = session.get(Agent, agent_id)
            if agent is None:
                raise AgentError(f"no agent with id {agent_id}")
            agent.active = True

    @staticmethod
    def _active_admins(session: Session) -> int:
        return int(session.execute(select(func.count()).select_from(Agent).where(
            Agent.role == "admin", Agent.active.is_(True))).scalar() or 0)

    # sessions ---------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str, now: Optional[datetime] = None) -> Optional[str]:
        """A new session token, or None for a wrong username or password (never saying which)."""
        now = now or utcnow()
        with self._db.session() as session:
            agent = session.execute(
                select(Agent).where(Agent.username == username, Agent.active.is_(True))).scalars().first()
        if agent is None:
            verify_password(password, dummy_hash())  # one scrypt, as for a known username
            return None
        if not verify_password(password, agent.password_hash):
            return None
        token = secrets.token_urlsafe(32)
        with self._db.session() as session, session.begin():
            session.execute(delete(AgentSession).where(AgentSession.expires_at <= now))
            session.add(AgentSession(token_hash=_token_hash(token), agent_id=agent.id, created_at=now,
                                     expires_at=now + timedelta(hours=self._session_hours)))
        return token

    def agent_for(self, token: Optional[str], now: Optional[datetime] = None) -> Optional[AgentView]:
        if not token:
            return None
        now = now or utcnow()
        with self._db.session() as session:
            row = session.execute(
                select(Agent).join(AgentSession, AgentSession.agent_id == Agent.id)
                .where(AgentSession.token_hash == _token_hash(token), AgentSession.expires_at > now,
                       Agent.active.is_(True))
            ).scalars().first()
            return _view(row) if row else None

    def sign_out(self, token: str, agent_id: Optional[int] = None) -> None:
        with self._db.session() as session, session.begin():
            session.execute(delete(AgentSession).where(AgentSession.token_hash == _token_hash(token)))
            if agent_id is not None:
                session.execute(update(Agent).where(Agent.id == agent_id).values(presence="offline"))

    # presence ---------------------------------------------------------------------------------
    def set_presence(self, agent_id: int, presence: str, now: Optional[datetime] = None) -> None:
        if presence not in PRESENCES:
            raise AgentError(f"presence must be one of {', '.join(PRESENCES)}, not {presence!r}")
        with self._db.session() as session, session.begin():
            session.execute(update(Agent).where(Agent.id == agent_id)
                            .values(presence=presence, last_seen_at=now or utcnow()))

    def heartbeat(self, agent_id: int, now: Optional[datetime] = None) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(Agent).where(Agent.id == agent_id).values(last_seen_at=now or utcnow()))

    def online_count(self, now: Optional[datetime] = None) -> int:
        """Agents marked online whose console has been seen within the presence timeout."""
        now = now or utcnow()
        with self._db.session() as session:
            return int(session.execute(
                select(func.count()).select_from(Agent).where(
                    Agent.presence == "online", Agent.active.is_(True),
                    Agent.last_seen_at > now - self._presence_timeout)
            ).scalar() or 0)

    def team(self, now: Optional[datetime] = None) -> List[TeamMember]:
        now = now or utcnow()
        with self._db.session() as session:
            counts = dict(session.execute(
                select(Handoff.agent_id, func.count()).where(Handoff.status == "claimed").group_by(Handoff.agent_id)
            ).all())
            agents = session.execute(select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)
                                     ).scalars().all()
            members = []
            for agent in agents:
                seen = agent.last_seen_at is not None and agent.last_seen_at > now - self._presence_timeout
                presence = agent.presence if seen else "offline"
                view = _view(agent)
                members.append(TeamMember(agent=AgentView(**{**view.__dict__, "presence": presence}),
                                          online=presence == "online", open_conversations=int(counts.get(agent.id, 0))))
            return members


def _view(agent: Agent) -> AgentView:
    return AgentView(id=agent.id, username=agent.username, display_name=agent.display_name, role=agent.role,
                     language=agent.language, presence=agent.presence, last_seen_at=agent.last_seen_at,
                     active=bool(agent.active))
