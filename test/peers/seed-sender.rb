# The seed's sender ("master"), made runnable: the group, port and count come from the environment.
require 'socket'

MULTICAST_ADDR = ENV.fetch('GROUP', '239.255.76.67')
PORT = Integer(ENV.fetch('PORT', '5000'))
COUNT = Integer(ENV.fetch('COUNT', '100'))

def send_some_stuff(n)
  "seed #{n}"
end

socket = UDPSocket.open
socket.setsockopt(Socket::IPPROTO_IP, Socket::IP_TTL, [1].pack('i'))
COUNT.times do |n|
  socket.send(send_some_stuff(n + 1), 0, MULTICAST_ADDR, PORT)
  sleep 0.1
end
