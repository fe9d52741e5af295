FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir -p /app/.data/imports && chown -R node:node /app/.data
USER node
EXPOSE 3000
CMD ["npx", "tsx", "src/server.ts"]
