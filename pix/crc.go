package pix

// crcTable is the CRC16-CCITT-FALSE table: crcTable[b] is the CRC of byte b shifted through
// polynomial 0x1021 from a zero register.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the CRC16-CCITT-FALSE of s (polynomial 0x1021, initial value 0xFFFF, no
// reflection, no final XOR), the checksum a BR Code carries in field 63.
func CRC16(s string) uint16 {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^s[i]]
	}
	return crc
}
