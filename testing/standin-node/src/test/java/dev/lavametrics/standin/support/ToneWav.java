package dev.lavametrics.standin.support;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/** Test audio that the local source manager plays without any network. */
public final class ToneWav {
    private ToneWav() {}

    /** {@code seconds} of a 440 Hz tone, 48 kHz 16-bit stereo. */
    public static Path write(Path target, int seconds) throws IOException {
        int rate = 48000;
        byte[] pcm = new byte[rate * 4 * seconds];
        for (int i = 0; i < rate * seconds; i++) {
            short v = (short) (6000 * Math.sin(2 * Math.PI * 440 * i / rate));
            for (int ch = 0; ch < 2; ch++) {
                pcm[i * 4 + ch * 2] = (byte) v;
                pcm[i * 4 + ch * 2 + 1] = (byte) (v >> 8);
            }
        }
        AudioSystem.write(
                new AudioInputStream(
                        new ByteArrayInputStream(pcm),
                        new AudioFormat(rate, 16, 2, true, false),
                        (long) rate * seconds),
                AudioFileFormat.Type.WAVE,
                target.toFile());
        return target;
    }
}
