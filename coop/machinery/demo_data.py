"""What the machinery demo seeds: 八道岭村's fleet, crews, prices and the season's plan of jobs."""

from __future__ import annotations

MACHINES = [  # in the order of coop's BADAOLING_MACHINES assets: kind, model, plate, flat mu a day
    ("玉米收割机", "约翰迪尔 4YZ-4", "蒙D·A1201", 8000),
    ("玉米收割机", "雷沃 4YZP-4", "蒙D·A1202", 8000),
    ("拖拉机", "东方红 LX1304", "蒙D·T0801", 12000),
    ("打捆机", "秸秆捡拾打捆机", "BDL-04", 10000),
    ("深松机", "深松整地联合作业机", "BDL-05", 9000),
]
OPERATORS = [("13900000004", "孙德胜", 0), ("13900000041", "刘建军", 1), ("13900000042", "赵志刚", 2)]
PLOTS = ["东山坡", "南洼地", "大井沿", "北梁", "西沟", "庙后", "河套地"]
FARMER_LOGIN = (2, "八道岭村社员（自己用手机预约农机）")  # member_no of the household that books on its phone
OUTSIDERS = [("外村王大爷", "13704760001"), ("外村高秀兰", "13704760002")]  # non-members, booked by the agent

SERVICES = [  # name, machine kind, corn harvest, market price per mu (fen)
    ("玉米收割", "玉米收割机", True, 8000),
    ("深松整地", "深松机", False, 6000),
    ("播种", "拖拉机", False, 4000),
    ("秸秆打捆", "打捆机", False, 3000),
]

RAIN_OFFSET = 1  # tomorrow's forecast rain moves that day's job to the next day with room
CANCEL_REASON = "家里自己收了"
GOOD_WORK = "师傅认真，割得干净"


def plan() -> list[tuple[int, str, int | None]]:
    """(days from today, state the job ends in, the farmer's rating) — ten days worked, today, the queue."""
    jobs: list[tuple[int, str, int | None]] = []
    for offset in range(-10, 0):
        jobs.append((offset, "paid", 5 if offset % 4 else 4))
        jobs.append((offset, "paid" if offset < -3 else "completed", 5 if offset % 3 else None))
    jobs += [
        (0, "in_progress", None),
        (0, "scheduled", None),
        (RAIN_OFFSET, "scheduled", None),  # rained off tomorrow: moved by the rain action, with its notice
        (2, "scheduled", None),
        (3, "requested", None),
        (4, "requested", None),
        (RAIN_OFFSET, "waitlisted", None),  # asked only for the rained-off day: no room, so the waitlist
        (2, "cancelled", None),
    ]
    return jobs
