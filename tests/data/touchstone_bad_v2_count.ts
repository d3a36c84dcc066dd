[Version] 2.0
# GHz S MA R 50
[Number of Ports] 2
[Two-Port Data Order] 12_21
[Number of Frequencies] 3
[Network Data]
1 .9 0 .1 0 .1 0 .9 0
2 .9 0 .1 0 .1 0 .9 0
[End]
