package dev.lavametrics.standin.voice;

/**
 * Per-player frame accounting for {@code frameStats}, modelled on what Lavalink reports: frames sent
 * and nulled during the last complete wall-clock minute, and whether that minute is usable (the player
 * was playing without a significant gap for all of it).
 *
 * <p>Only polls made while the player is connected and a track is playing (not paused) are counted:
 * a frame lavaplayer provided is "sent", a poll that returned nothing is "nulled". The deficit is
 * computed by the stats code as {@value #EXPECTED_PER_MINUTE} minus both.
 */
public final class FrameCounter {
    public static final int EXPECTED_PER_MINUTE = 60_000 / 20;
    /** A stop/start closer together than this counts as one continuous playback. */
    private static final long SWITCH_GRACE_MS = 100;

    private long minute = -1;
    private int curSent;
    private int curNulled;
    private volatile int lastSent;
    private volatile int lastNulled;
    private volatile long lastMinute = -1;
    private volatile long playingSince = Long.MAX_VALUE;
    private volatile long stoppedAt = Long.MAX_VALUE;

    /** Sender thread. */
    public void sent(long nowMillis) {
        roll(nowMillis);
        curSent++;
    }

    /** Sender thread. */
    public void nulled(long nowMillis) {
        roll(nowMillis);
        curNulled++;
    }

    private void roll(long nowMillis) {
        long m = nowMillis / 60_000;
        if (m != minute) {
            if (m == minute + 1) {
                lastSent = curSent;
                lastNulled = curNulled;
                lastMinute = minute;
            } else {
                lastSent = 0;
                lastNulled = 0;
                lastMinute = -1;
            }
            curSent = 0;
            curNulled = 0;
            minute = m;
        }
    }

    /** Playback started or resumed. */
    public void started(long nowMillis) {
        long stopped = stoppedAt;
        if (playingSince == Long.MAX_VALUE || stopped == Long.MAX_VALUE || nowMillis - stopped > SWITCH_GRACE_MS) {
            playingSince = nowMillis;
        }
        stoppedAt = Long.MAX_VALUE;
    }

    /** Playback ended or paused. */
    public void stopped(long nowMillis) {
        stoppedAt = nowMillis;
    }

    /** True when the last complete minute was entirely covered by continuous playback. */
    public boolean usable(long nowMillis) {
        long since = playingSince;
        long stopped = stoppedAt;
        long prev = nowMillis / 60_000 - 1;
        if (since == Long.MAX_VALUE || lastMinute != prev) {
            return false;
        }
        if (stopped != Long.MAX_VALUE && nowMillis - stopped > SWITCH_GRACE_MS) {
            return false;
        }
        return since <= prev * 60_000;
    }

    public int lastMinuteSent() {
        return lastSent;
    }

    public int lastMinuteNulled() {
        return lastNulled;
    }
}
