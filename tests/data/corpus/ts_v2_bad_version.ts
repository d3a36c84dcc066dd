[Version] 3.0
# GHz S RI R 50
[Number of Ports] 1
[Network Data]
1 0.5 0
