from __future__ import annotations

from caoyuan.demo import DemoContext
from streaming.models import LiveRoom, LiveRoomHost


async def seed(ctx: DemoContext) -> None:
    room = LiveRoom(name="鄂托克旗草原村播·阿尔巴斯直播间", banner="鄂托克旗", place="乌兰镇直播基地",
                    description="今天拍明天发：阿尔巴斯羊肉、牛肉干，牧民夫妻直播带货。")
    ctx.session.add(room)
    await ctx.session.flush()
    host = await ctx.login(phone="13900000002", role="host", name="其其格", note="草原村播主播（牧民夫妻）")
    ctx.session.add(LiveRoomHost(room_id=room.id, user_id=host.id, title="主播"))  # type: ignore[arg-type]
    ctx.shared["streaming.room_id"] = room.id
