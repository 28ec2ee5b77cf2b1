from vuer_ros import Vuer
from vuer_ros.schemas import Scene, Box
import asyncio
import numpy as np

app = Vuer(
    queries=dict(
        reconnect=True,
        collapseMenu=True,
    ),
)


async def background_task(session):
    """A background task that runs independently"""
    count = 0
    while True:
        print(f"Background task running: {count}")
        count += 1
        await asyncio.sleep(1.0)


@app.spawn(start=True)
async def main(session):
    # Spawn a background task
    task = session.spawn_task(background_task(session))

    # Main animation loop
    for i in range(100):
        theta = i * 0.1
        x = 0.5 * np.cos(theta)
        z = 0.5 * np.sin(theta)

        # Update the box position
        session.upsert @ Box(
            args=[0.1, 0.1, 0.1],
            position=[x, 0.05, z],
            color="red",
            materialType="standard",
            key="animated-box",
        )

        await asyncio.sleep(0.05)

    # Cancel the background task when done
    task.cancel()

app.run()
