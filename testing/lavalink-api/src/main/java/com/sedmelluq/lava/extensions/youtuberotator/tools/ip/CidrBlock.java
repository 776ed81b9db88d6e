package com.sedmelluq.lava.extensions.youtuberotator.tools.ip;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** A CIDR block of {@code bits}-bit addresses (the stand-in's shared part of Ipv4Block and Ipv6Block). */
abstract class CidrBlock extends IpBlock {
    private final int bytes;
    private final BigInteger first;
    private final BigInteger size;

    CidrBlock(String cidr, Class<? extends InetAddress> type, int bits) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR block: " + cidr);
        }
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix out of range: " + cidr);
        }
        InetAddress base;
        try {
            base = InetAddress.getByName(cidr.substring(0, slash));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + cidr, e);
        }
        if (!type.isInstance(base)) {
            throw new IllegalArgumentException("not a " + type.getSimpleName() + " block: " + cidr);
        }
        this.bytes = bits / 8;
        this.size = BigInteger.ONE.shiftLeft(bits - prefix);
        this.first = new BigInteger(1, base.getAddress()).andNot(size.subtract(BigInteger.ONE));
    }

    @Override
    public BigInteger getSize() {
        return size;
    }

    @Override
    public InetAddress getAddressAtIndex(long index) {
        if (index < 0 || BigInteger.valueOf(index).compareTo(size) >= 0) {
            throw new IllegalArgumentException("index " + index + " outside a block of " + size);
        }
        byte[] raw = first.add(BigInteger.valueOf(index)).toByteArray();
        byte[] address = new byte[bytes];
        int copy = Math.min(bytes, raw.length);
        System.arraycopy(raw, raw.length - copy, address, bytes - copy, copy);
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
