"""Button data: one definition per kind of button, used both to make the data a button carries
and to route its press to a handler. A new button is one line here.

The data is never trusted (DESIGN.md, rule 5): a pattern only says which handler reads a press;
the service then checks who pressed it and what the database says they may do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import LANGUAGES

ID = r"\d{1,9}"


@dataclass(frozen=True)
class Kind:
    """One kind of button: its name and the pattern of each field after it ("claim:12")."""

    name: str
    fields: tuple[str, ...] = (ID,)

    def data(self, *values: object) -> str:
        return ":".join([self.name, *(str(v) for v in values)])

    @property
    def shape(self) -> str:
        return ":".join([re.escape(self.name), *(f"(?:{f})" for f in self.fields)])

    @property
    def pattern(self) -> str:
        return f"^{self.shape}$"


def any_of(*kinds: Kind) -> str:
    """One handler for several kinds: "^(?:claim:..|decline:..)$"."""
    return "^(?:" + "|".join(kind.shape for kind in kinds) + ")$"


def parts(data: str) -> list[str]:
    return data.split(":")


# a volunteer on an alert and on the details of a ticket they hold
CLAIM, DECLINE, RESOLVE, RELEASE = Kind("claim"), Kind("decline"), Kind("resolve"), Kind("release")
ON_MY_WAY = Kind("onway")                                     # 🚶 the claimant is on the way: onway:<ticket>
RELAY = Kind("relay", (rf"{ID}|new", r"\d{1,6}"))            # relay:<ticket or "new">:<offer>
# the resident on their own ticket
FIXED, NOT_YET, KEEP = Kind("fixed"), Kind("notyet"), Kind("keep")
CANCEL = Kind("cancel", (ID, "[0-3]"))                        # cancel:<ticket>:<its urgency rank when asked>
AS_NEW = Kind("asnew", (r"\d{1,12}",))                        # asnew:<update event>
SOS = Kind("sos")                                             # "🚨 This is an emergency" under an answer
DANGER = Kind("danger", (ID, "yes|no"))                       # "is someone hurt or in danger right now?"
RATE = Kind("rate", (ID, "[1-5]"))
NO_COMMENT = Kind("nocomment")
UNFIXED = Kind("unfixed")                                     # "not fixed for me" on a linked report: unfixed:<report>
# registration and the profile
LANGUAGE = Kind("lang", ("|".join(LANGUAGES),))
ALONE = Kind("alone", ("yes|no",))
CONTACT_SKIP = Kind("contact", ("skip",))
EDIT = Kind("edit", ("name|address|phone|alone|contact|language",))
# check-ins: the resident's two big buttons on a question, and Visited on a missed check-in's alert
CHECKIN_OK, CHECKIN_HELP = Kind("ckok"), Kind("ckhelp")          # ckok:<check-in>
CHECKIN_VISITED = Kind("ckvisit")                                 # ckvisit:<ticket>
# the check-ins desk: /elderly's pages (the grid asked for, or * for all: checked again on the
# server), and Approve / Decline on a resident's request for other check-in times
ELDERLY_PAGE = Kind("elderly", (r"\d{1,4}", r"[^:]{1,32}"))      # elderly:<page>:<grid or *>
CHECKIN_REQUEST_OK, CHECKIN_REQUEST_NO = Kind("ckreqok"), Kind("ckreqno")   # ckreqok:<request>
# identity: Approve / Reject on a request to link a record to the account that asked for it
LINK_OK, LINK_NO = Kind("linkok"), Kind("linkno")                                # linkok:<request>
# ⬅️ ➡️ under any list a person browses (Outbox.paged): page:<listing>:<page>:<its argument, often empty>
PAGE = Kind("page", (r"[a-z]{1,12}", r"\d{1,4}", r"[\w*-]{0,20}"))
# rosters: Accept / Decline on a teammate's request to swap a shift (checked again on the server)
SWAP_OK, SWAP_NO = Kind("swapok"), Kind("swapno")                                # swapok:<swap request>
# the rest of a ticket's life (issue #12): "✖️ Cancel #N" under /status and /cancel's choice (asks
# first: the confirm is CANCEL above); 💬 Message on the claimant's details and 💬 Reply under the
# volunteer's words (the next text goes to the other side, bot/services/relays.py); "✅ Close #N"
# for the admin who answered an info question with /reply
CANCEL_ASK = Kind("cancelask")                                # cancelask:<ticket>
TALK, TALK_BACK = Kind("talk"), Kind("talkback")              # talk:<ticket> (claimant), talkback:<ticket> (resident)
CLOSE_ANSWERED = Kind("closeinfo")                            # closeinfo:<ticket>
# micro-wishes (bot/services/wishes.py): wish:<action>:<wish>; the action is checked again on the
# server against the wish's state and who pressed (approve/decline: admins; adopt: volunteers;
# done/back: the adopter; yes/notyet/withdraw: the resident)
WISH = Kind("wish", ("ok|no|adopt|done|back|yes|notyet|withdraw", ID))
# ... and the same moves under a /wishes list, which is shown again after the move: wishl:<action>:<wish>:<page>
WISH_IN_LIST = Kind("wishl", ("ok|no|adopt|done|back|withdraw", ID, r"\d{1,4}"))
# announcements (/broadcast): Send / Cancel under the preview, Stop while it is being sent
BROADCAST_SEND, BROADCAST_CANCEL, BROADCAST_STOP = Kind("bcsend"), Kind("bccancel"), Kind("bcstop")   # bcsend:<broadcast>
